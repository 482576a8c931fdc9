/**
 * mbochs' dma-bufs (samples.md §4.6): a descriptor per distinct mode, created by
 * VFIO_DEVICE_QUERY_GFX_PLANE, and VFIO_DEVICE_GET_GFX_DMABUF exporting it as a dma-buf — here a
 * view of the VRAM pages it covers, reached through a file descriptor of the world.
 *
 * An exported dma-buf holds its pages: when the device closes and drops its VRAM, the buffer
 * keeps the contents it had (the sample's pages stay referenced by the dma-buf), while new VRAM
 * reads as zero.
 *
 * @module
 */
import { KernelError, neg } from "../../errno.ts";
import type { World } from "../../core/world.ts";
import { vfioCore } from "../../vfio/core.ts";
import { type DeviceMemory, PAGE_SIZE } from "../device_memory.ts";
import type { MbochsMode } from "./mode.ts";

/** `struct mbochs_dmabuf`: the mode it was made for and its id (ids start at 1). */
export interface DmabufDescriptor {
  readonly id: number;
  readonly mode: MbochsMode;
  /** The exported dma-buf while any file of it is open. */
  exported?: DmaBuf;
}

/** An exported dma-buf: `size` bytes of VRAM pages from the mode's page-aligned offset. */
export class DmaBuf {
  /** The descriptor's id. */
  readonly id: number;
  /** The mode the buffer shows (width, height, stride, offset, size). */
  readonly mode: MbochsMode;
  readonly #vram: DeviceMemory;
  readonly #descriptor: DmabufDescriptor;
  /** The pages' contents once the device dropped its VRAM (close_device). */
  #orphaned: Uint8Array | undefined;
  /** Open files of the buffer. */
  files = 0;

  constructor(descriptor: DmabufDescriptor, vram: DeviceMemory) {
    this.id = descriptor.id;
    this.mode = descriptor.mode;
    this.#descriptor = descriptor;
    this.#vram = vram;
  }

  /** Size in bytes (the mode's stride × height). */
  get size(): number {
    return this.mode.size;
  }

  /** Whether the buffer is backed by the device's live VRAM (false once the device closed). */
  get live(): boolean {
    return this.#orphaned === undefined;
  }

  /** The VRAM the buffer's pages belong to (from byte `mode.offset`), while they are live. */
  get memory(): DeviceMemory | undefined {
    return this.#orphaned === undefined ? this.#vram : undefined;
  }

  /** The buffer's bytes: the live VRAM pages, or the pages it kept. */
  view(): Uint8Array {
    if (this.#orphaned !== undefined) return this.#orphaned;
    return this.#vram.read().subarray(this.mode.offset, this.mode.offset + this.mode.size);
  }

  /** mbochs_mmap_dmabuf(): MAP_SHARED only. */
  mmap(shared: boolean): Uint8Array | number {
    return shared ? this.view() : neg("EINVAL");
  }

  /** The device drops its VRAM while the buffer is exported: keep the pages' contents. */
  orphan(): void {
    if (this.#orphaned === undefined) this.#orphaned = this.view().slice();
  }

  /** mbochs_release_dmabuf() on the last close: the descriptor is no longer exported. */
  release(): void {
    if (this.#descriptor.exported === this) delete this.#descriptor.exported;
  }
}

/**
 * mbochs_dmabuf_export(): EINVAL (nothing exported) unless the mode's offset is page-aligned;
 * an exported descriptor is exported once however many files are opened for it.
 *
 * @returns the dma-buf, or a negative errno
 */
export function exportDmabuf(descriptor: DmabufDescriptor, vram: DeviceMemory): DmaBuf | number {
  if (descriptor.exported !== undefined) return descriptor.exported;
  if (descriptor.mode.offset % PAGE_SIZE !== 0) return neg("EINVAL");
  descriptor.exported = new DmaBuf(descriptor, vram);
  return descriptor.exported;
}

const FILES = new WeakMap<World, Map<number, DmaBuf>>();

function filesOf(world: World): Map<number, DmaBuf> {
  let files = FILES.get(world);
  if (files === undefined) FILES.set(world, files = new Map());
  return files;
}

/**
 * dma_buf_fd(): a new file descriptor for the buffer (numbers come from the world's one fd
 * space). Files are not persisted: like the fds of a process, they end with the command.
 */
export function openDmaBufFile(world: World, buf: DmaBuf): number {
  const fd = vfioCore(world).nextEventfd++;
  buf.files++;
  filesOf(world).set(fd, buf);
  return fd;
}

/**
 * The dma-buf behind a file descriptor.
 *
 * @throws {KernelError} EBADF for a descriptor that is not an open dma-buf.
 */
export function dmaBufFile(world: World, fd: number): DmaBuf {
  const buf = filesOf(world).get(fd);
  if (buf === undefined) throw new KernelError("EBADF", { path: `fd ${fd}` });
  return buf;
}

/**
 * close(2) of a dma-buf file; the last close releases the buffer.
 *
 * @throws {KernelError} EBADF for a descriptor that is not an open dma-buf.
 */
export function closeDmaBufFile(world: World, fd: number): void {
  const buf = dmaBufFile(world, fd);
  filesOf(world).delete(fd);
  if (--buf.files === 0) buf.release();
}
