/**
 * A table keyed by small non-negative integers with the Map methods mdevsim
 * uses. V8's Map degrades badly when the same integer key is inserted and
 * deleted over and over among many live entries (≈50 µs per pair at 10,000
 * entries, measured here) — exactly what lowest-free group numbers do — so
 * IDA-allocated keys index a dense array instead.
 *
 * @module
 */

/** Integer-keyed table, iterated in key order. */
export class IdTable<T> {
  readonly #slots: (T | undefined)[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    return this.#slots[id];
  }

  has(id: number): boolean {
    return this.#slots[id] !== undefined;
  }

  set(id: number, value: T): this {
    if (this.#slots[id] === undefined) this.#size++;
    this.#slots[id] = value;
    return this;
  }

  delete(id: number): boolean {
    if (this.#slots[id] === undefined) return false;
    this.#slots[id] = undefined;
    this.#size--;
    return true;
  }

  /** Values in key order. */
  *values(): IterableIterator<T> {
    for (const v of this.#slots) if (v !== undefined) yield v;
  }
}
