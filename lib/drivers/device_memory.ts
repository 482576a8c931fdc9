/**
 * Device memory of the display samples — mdpy's vmalloc'ed framebuffer and mbochs' VRAM pages —
 * and the mmap file operation that exposes it.
 *
 * The memory is never part of the world snapshot: it is materialised on first touch (from its
 * blob in `world.blobs`, else as the driver's pristine image), written back to the blob when it
 * changed, and can move into another home — a frame of the fb WebAssembly core — so that guest
 * drawing and the display refresh path work on it in place instead of copying it on every frame.
 *
 * @example A framebuffer that starts with a pattern and survives in its blob
 * ```ts
 * import assert from "node:assert/strict";
 * import { World } from "../core/world.ts";
 * import { DeviceMemory } from "./device_memory.ts";
 *
 * const world = new World();
 * const memory = new DeviceMemory(world, "example.fb", 8, (bytes) => bytes.fill(7));
 * assert.equal(memory.read()[0], 7);
 * memory.write()[0] = 1;
 * world.settle(); // writes the changed memory back to world.blobs
 * assert.equal(world.blobs.get("example.fb")?.[0], 1);
 * ```
 *
 * @module
 */
import { neg } from "../errno.ts";
import type { World } from "../core/world.ts";
import type { VfioDevice } from "../vfio/device.ts";

/** Where moved memory lives: a view of at least the memory's size, zero-filled when handed over. */
export interface MemoryHome {
  /** The bytes that hold the memory; called again whenever the owner's buffer may have changed. */
  view(): Uint8Array;
  /** The memory leaves the home (dropped or freed); called once. */
  release(): void;
}

/** Named-field snapshot of a {@linkcode DeviceMemory} (the bytes stay in their blob). */
export interface DeviceMemorySnapshot {
  blob: string;
  size: number;
  /** Blobs derived from the contents (a display client's last snapshot), deleted with the memory. */
  attachments: string[];
}

/** One block of device memory backed by a blob. */
export class DeviceMemory {
  /** The blob that persists the contents. */
  readonly blob: string;
  /** Size in bytes. */
  readonly size: number;
  readonly #world: World;
  readonly #pristine: (bytes: Uint8Array) => void;
  readonly #attachments = new Set<string>();
  #plain: Uint8Array | undefined;
  #home: MemoryHome | undefined;
  #homeView: Uint8Array | undefined;
  #dirty = false;
  #writeBackHooked = false;
  #freed = false;

  /**
   * @param world The world whose blob cache persists the memory.
   * @param blob The blob name (see the state store's rules for names).
   * @param size Size in bytes.
   * @param pristine Paints the contents the memory has before anything is stored (the buffer
   *   passed in is zero-filled); the default leaves zeros.
   */
  constructor(
    world: World,
    blob: string,
    size: number,
    pristine: (bytes: Uint8Array) => void = () => {},
  ) {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new RangeError(`Cannot create device memory: size ${size} is not positive`);
    }
    this.#world = world;
    this.blob = blob;
    this.size = size;
    this.#pristine = pristine;
  }

  /** Whether the contents are in memory now (a blob not yet read, or pristine contents, are not). */
  get resident(): boolean {
    return this.#plain !== undefined || this.#home !== undefined;
  }

  /** Whether the memory lives in a {@linkcode MemoryHome}. */
  get homed(): boolean {
    return this.#home !== undefined;
  }

  /** The contents for reading; materialises them on first use. */
  read(): Uint8Array {
    this.#checkLive("read");
    if (this.#home !== undefined) return this.#currentHomeView();
    if (this.#plain === undefined) {
      this.#plain = new Uint8Array(this.size);
      this.#fill(this.#plain);
    }
    return this.#plain;
  }

  /** The contents for writing: like {@linkcode read}, and the blob is rewritten at the next save. */
  write(): Uint8Array {
    const bytes = this.read();
    this.#dirty = true;
    if (!this.#writeBackHooked) {
      this.#writeBackHooked = true;
      this.#world.onSettle(() => {
        this.#writeBack();
        return false;
      });
    }
    return bytes;
  }

  /**
   * Moves the contents into `home` (one copy, or none when nothing was materialised yet); from
   * now on every access uses the home's view. A previous home is released.
   */
  moveTo(home: MemoryHome): void {
    this.#checkLive("move");
    const target = home.view();
    if (target.length < this.size) {
      throw new RangeError(`Cannot move device memory: home holds ${target.length} < ${this.size}`);
    }
    const into = target.subarray(0, this.size);
    if (this.resident) into.set(this.read());
    else this.#fill(into);
    this.#home?.release();
    this.#plain = undefined;
    this.#home = home;
    this.#homeView = into;
  }

  /**
   * Forgets the contents (mbochs drops every VRAM page on close): the memory reads as pristine
   * again, the blob is deleted and a home is released.
   */
  drop(): void {
    this.#checkLive("drop");
    this.#leaveHome();
    this.#plain = undefined;
    this.#dirty = false;
    this.#world.blobs.delete(this.blob);
  }

  /** The memory's end (the driver's release): drops the contents and every attached blob. */
  free(): void {
    if (this.#freed) return;
    this.drop();
    for (const name of this.#attachments) this.#world.blobs.delete(name);
    this.#attachments.clear();
    this.#freed = true;
  }

  /**
   * A blob name derived from this memory (`<blob>.<suffix>`), deleted when the memory is freed:
   * state that describes the contents, kept by a client such as the display refresh path.
   */
  attachment(suffix: string): string {
    const name = `${this.blob}.${suffix}`;
    this.#attachments.add(name);
    return name;
  }

  /** The named-field snapshot. */
  toSnapshot(): DeviceMemorySnapshot {
    return { blob: this.blob, size: this.size, attachments: [...this.#attachments] };
  }

  /** Rebuilds a memory from {@linkcode toSnapshot}; the contents load lazily from the blob. */
  static fromSnapshot(
    world: World,
    s: DeviceMemorySnapshot,
    pristine?: (bytes: Uint8Array) => void,
  ): DeviceMemory {
    const memory = new DeviceMemory(world, s.blob, s.size, pristine);
    for (const name of s.attachments) memory.#attachments.add(name);
    return memory;
  }

  #fill(into: Uint8Array): void {
    const stored = this.#world.blobs.get(this.blob);
    if (stored !== undefined && stored.length === this.size) into.set(stored);
    else this.#pristine(into);
  }

  #currentHomeView(): Uint8Array {
    // A WebAssembly memory that grew detached the old view (its length is then 0).
    if (this.#homeView === undefined || this.#homeView.length !== this.size) {
      this.#homeView = this.#home!.view().subarray(0, this.size);
    }
    return this.#homeView;
  }

  #leaveHome(): void {
    const home = this.#home;
    this.#home = undefined;
    this.#homeView = undefined;
    home?.release();
  }

  #writeBack(): void {
    if (!this.#dirty || this.#freed) return;
    this.#dirty = false;
    this.#world.blobs.set(this.blob, this.read());
  }

  #checkLive(action: string): void {
    if (this.#freed) throw new TypeError(`Cannot ${action} device memory "${this.blob}": freed`);
  }
}

/** What userspace asks of mmap(2) on a device fd. */
export interface MmapRequest {
  /** File offset (must be page-aligned). */
  readonly offset: bigint;
  /** Length in bytes. */
  readonly length: number;
  /** MAP_SHARED (true) or MAP_PRIVATE. */
  readonly shared: boolean;
}

/** A mapping of device memory: `length` bytes of `memory` from byte `start`. */
export interface Mapping {
  readonly memory: DeviceMemory;
  readonly start: number;
  readonly length: number;
}

/** `vfio_device_ops.mmap` of the display samples. */
export interface MmapOps<P = unknown> {
  /** The mapping, or a negative errno. */
  mmap(vdev: VfioDevice<P>, request: MmapRequest): Mapping | number;
}

/** x86's PAGE_SIZE, which the samples' region offsets and mmap checks are built on. */
export const PAGE_SIZE = 4096;

/**
 * mmap(2) on a VFIO device fd: EINVAL when the driver has no mmap op (as the VFIO core answers),
 * for a zero length or an offset that is not page-aligned (as mmap(2) does), else the driver's
 * answer.
 *
 * @returns the mapping, or a negative errno
 */
export function vfioMmap(vdev: VfioDevice, request: MmapRequest): Mapping | number {
  const ops = vdev.ops as Partial<MmapOps>;
  if (typeof ops.mmap !== "function") return neg("EINVAL");
  if (request.length <= 0 || request.offset % BigInt(PAGE_SIZE) !== 0n) return neg("EINVAL");
  return ops.mmap(vdev, request);
}
