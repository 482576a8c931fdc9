/**
 * Large device memory (DASD storage, guest RAM of a vfio-ccw handle, VRAM)
 * kept outside the world snapshot: read lazily when a command first needs a
 * blob, written back only when changed, together with the state save.
 *
 * @module
 */

/** Where blobs live (the state store, or nothing for an in-memory world). */
export interface BlobBackend {
  readBlob(name: string): Uint8Array | undefined;
  writeBlob(name: string, bytes: Uint8Array): void;
  deleteBlob(name: string): void;
}

/** A write-back cache of named blobs. */
export class BlobCache {
  #backend: BlobBackend | undefined;
  readonly #cache = new Map<string, Uint8Array | undefined>();
  readonly #dirty = new Set<string>();
  /** Blobs whose bytes are computed only when read or flushed (guest RAM changed by I/O). */
  readonly #deferred = new Map<string, () => Uint8Array>();

  /** Attaches persistent storage (the CLI's state store). */
  attach(backend: BlobBackend): void {
    this.#backend = backend;
  }

  /** The blob's bytes, or undefined when it does not exist. */
  get(name: string): Uint8Array | undefined {
    const produce = this.#deferred.get(name);
    if (produce !== undefined) {
      this.#deferred.delete(name);
      this.#cache.set(name, produce());
    }
    if (!this.#cache.has(name)) this.#cache.set(name, this.#backend?.readBlob(name));
    return this.#cache.get(name);
  }

  /** Replaces (or creates) a blob; written at the next flush. */
  set(name: string, bytes: Uint8Array): void {
    this.#deferred.delete(name);
    this.#cache.set(name, bytes);
    this.#dirty.add(name);
  }

  /**
   * Marks a blob changed and leaves computing its bytes to the next read or
   * flush, so work repeated on every operation (re-encoding guest RAM after
   * each I/O) runs once per command.
   */
  defer(name: string, produce: () => Uint8Array): void {
    this.#deferred.set(name, produce);
    this.#dirty.add(name);
  }

  /** Marks a blob changed in place (the caller mutated the array `get` returned). */
  touch(name: string): void {
    if (this.#cache.get(name) !== undefined) this.#dirty.add(name);
  }

  /** Deletes a blob at the next flush. */
  delete(name: string): void {
    this.#deferred.delete(name);
    this.#cache.set(name, undefined);
    this.#dirty.add(name);
  }

  /** Writes every changed blob to the backend. */
  flush(): void {
    if (this.#backend === undefined) return;
    for (const name of [...this.#deferred.keys()]) this.get(name);
    for (const name of this.#dirty) {
      const bytes = this.#cache.get(name);
      if (bytes === undefined) this.#backend.deleteBlob(name);
      else this.#backend.writeBlob(name, bytes);
    }
    this.#dirty.clear();
  }
}
