/**
 * The guest memory behind a vfio-ccw handle and the emulated type1 container's
 * VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA (cli.md §5 `dma`, `mem`; vfio-ccw.md §2.0, §2.13).
 *
 * Each handle is a userspace process with its own guest RAM of {@linkcode GUEST_RAM_SIZE} bytes
 * and its own DMA mappings of it. The RAM lives in the device engine's host address space, which
 * holds one handle's RAM at a time (the *owner*, the handle that last mapped or touched memory);
 * handing the engine to another handle writes the owner's RAM back to its blob and loads the
 * other's. RAM is persisted in `world.blobs`, one blob per handle, only once a handle used it; a
 * closed handle's blob is deleted when the world settles.
 *
 * Unmapping a range whose pages the current channel program pinned resets the device (CLOSE then
 * OPEN), which frees the program (vfio_ccw_dma_unmap).
 *
 * @module
 */
import type { CcwEngine, DmaRange } from "../../ccw/engine.ts";
import type { World } from "../../core/world.ts";
import { KernelError } from "../../errno.ts";
import { handleDevice, vfioCore } from "../../vfio/core.ts";
import { registerHandleMemory } from "../../vfio/script_runner.ts";
import { GUEST_RAM_SIZE } from "./cp.ts";
import { resetDevice } from "./fsm.ts";
import { decodeGuestRam, updateGuestRam } from "./guest_ram_blob.ts";
import { isVfioCcwDevice, VFIO_CCW_OPS_NAME, type VfioCcwDevice } from "./private.ts";

const PAGE_SIZE = 4096;

/** One handle's container: its DMA mappings, and whether its RAM has a blob. */
export interface HandleDma {
  mappings: DmaRange[];
  blob: boolean;
}

/** Per-world DMA state of vfio-ccw handles, and the devices whose engine is built. */
class CcwDmaTable {
  readonly handles = new Map<number, HandleDma>();
  readonly devices = new Set<VfioCcwDevice>();
  syncInstalled = false;
}

const TABLES = new WeakMap<World, CcwDmaTable>();

function tableOf(world: World): CcwDmaTable {
  let table = TABLES.get(world);
  if (table === undefined) {
    table = new CcwDmaTable();
    TABLES.set(world, table);
  }
  return table;
}

/** The blob holding a handle's guest RAM. */
export function guestRamBlobName(handleId: number): string {
  return `vfio_ccw.handle${handleId}.ram`;
}

/** The guest RAM inside an engine's host address space. */
function ramOf(engine: CcwEngine): Uint8Array {
  return engine.host.subarray(engine.guestBase, engine.guestBase + engine.ramSize);
}

/** The vfio-ccw device behind a handle; EINVAL for other devices (they have no guest memory). */
function ccwDeviceOf(world: World, handleId: number): VfioCcwDevice {
  const { vdev } = handleDevice(world, handleId);
  if (!isVfioCcwDevice(vdev)) {
    throw new KernelError("EINVAL", { detail: "not a vfio-ccw device" });
  }
  return vdev;
}

function handleOf(world: World, handleId: number): HandleDma {
  const table = tableOf(world);
  let entry = table.handles.get(handleId);
  if (entry === undefined) {
    entry = { mappings: [], blob: false };
    table.handles.set(handleId, entry);
  }
  return entry;
}

/**
 * Loads a handle's RAM (its blob, else zeros) and mappings into an engine; `used` says the
 * engine's RAM may hold another handle's bytes (a fresh engine's is zero already, and zeroing
 * 16 MiB of untouched memory would fault every page in).
 */
function loadHandle(world: World, engine: CcwEngine, handleId: number, used: boolean): void {
  const blob = world.blobs.get(guestRamBlobName(handleId));
  const ram = ramOf(engine);
  if (used) ram.fill(0);
  if (blob !== undefined) decodeGuestRam(blob, ram);
  engine.setMappings(tableOf(world).handles.get(handleId)?.mappings ?? []);
}

/** Pages changed since the owner's blob was last encoded, per handle (encoded lazily). */
const UNENCODED = new WeakMap<World, Map<number, Set<number>>>();

/**
 * Records the owner's changed pages for its blob while the owner is still open. Encoding is
 * deferred to the next read or save of the blob (once per command, not once per I/O), unless
 * `now` — before the engine's RAM is handed to another handle.
 */
function writeBack(world: World, vdev: VfioCcwDevice, now = false): void {
  const priv = vdev.priv;
  const owner = priv.ramOwner;
  if (priv.dirtyPages.size === 0) return;
  const changed = [...priv.dirtyPages];
  priv.dirtyPages.clear();
  if (owner === null || !priv.cp.built || !vfioCore(world).handles.has(owner)) return;
  const name = guestRamBlobName(owner);
  let byHandle = UNENCODED.get(world);
  if (byHandle === undefined) UNENCODED.set(world, byHandle = new Map());
  let pages = byHandle.get(owner);
  if (pages === undefined) {
    const base = world.blobs.get(name);
    const ram = ramOf(priv.cp.engine);
    const accumulated = pages = new Set<number>();
    byHandle.set(owner, pages);
    world.blobs.defer(name, () => {
      byHandle!.delete(owner);
      return updateGuestRam(base, ram, accumulated);
    });
  }
  for (const page of changed) pages.add(page);
  handleOf(world, owner).blob = true;
  if (now) world.blobs.get(name);
}

/**
 * The engine-preparation callback of a device's channel program: loads the owner's RAM and
 * mappings into the freshly built engine (nothing mapped without an open owner).
 */
export function engineLoader(vdev: VfioCcwDevice): (engine: CcwEngine) => void {
  return (engine) => {
    const world = vdev.world;
    tableOf(world).devices.add(vdev);
    installGuestRamSync(world);
    const owner = vdev.priv.ramOwner;
    if (owner !== null && vfioCore(world).handles.has(owner)) {
      loadHandle(world, engine, owner, false);
    } else {
      vdev.priv.ramOwner = null;
      engine.setMappings([]);
    }
  };
}

/** The device's engine holding the handle's RAM and mappings (the handle becomes the owner). */
function bindMemory(world: World, vdev: VfioCcwDevice, handleId: number): CcwEngine {
  const priv = vdev.priv;
  const fresh = !priv.cp.built;
  const engine = priv.cp.engine;
  if (priv.ramOwner !== handleId) {
    writeBack(world, vdev, true);
    loadHandle(world, engine, handleId, !fresh || priv.ramOwner !== null);
    priv.ramOwner = handleId;
  }
  return engine;
}

/** Forgets a device whose VFIO release ran. */
export function forgetDevice(vdev: VfioCcwDevice): void {
  tableOf(vdev.world).devices.delete(vdev);
}

/**
 * Registers, once per world, the settle hook that writes changed guest RAM to the owners' blobs
 * and drops the DMA state and blobs of closed handles.
 */
export function installGuestRamSync(world: World): void {
  const table = tableOf(world);
  if (table.syncInstalled) return;
  table.syncInstalled = true;
  world.onSettle(() => {
    const open = vfioCore(world).handles;
    for (const vdev of table.devices) {
      writeBack(world, vdev);
      const owner = vdev.priv.ramOwner;
      if (owner !== null && !open.has(owner)) {
        vdev.priv.ramOwner = null;
        vdev.priv.cp.engine.setMappings([]);
      }
    }
    for (const [id, entry] of table.handles) {
      if (open.has(id)) continue;
      if (entry.blob) world.blobs.delete(guestRamBlobName(id));
      UNENCODED.get(world)?.delete(id);
      table.handles.delete(id);
    }
    return false;
  });
}

function checkPageRange(iova: bigint, size: bigint, what: string): void {
  const page = BigInt(PAGE_SIZE);
  if (size === 0n || iova % page !== 0n || size % page !== 0n) {
    throw new KernelError("EINVAL", {
      detail: `${what}: IOVA and size must be non-zero multiples of 4096`,
    });
  }
  if (iova + size > BigInt(GUEST_RAM_SIZE)) {
    throw new KernelError("EINVAL", {
      detail: `${what}: beyond the handle's ${GUEST_RAM_SIZE >> 20} MiB of guest RAM`,
    });
  }
}

/**
 * VFIO_IOMMU_MAP_DMA of `[iova, iova + size)` of the handle's guest RAM (identity mapped).
 *
 * @throws {KernelError} EINVAL for a zero or unaligned range or one beyond the guest RAM, EEXIST
 *   when it overlaps an existing mapping, EINVAL for a handle of another device kind.
 */
export function dmaMap(world: World, handleId: number, iova: bigint, size: bigint): void {
  const vdev = ccwDeviceOf(world, handleId);
  checkPageRange(iova, size, "Cannot map DMA");
  const entry = handleOf(world, handleId);
  const start = Number(iova);
  const end = start + Number(size);
  if (entry.mappings.some((m) => m.iova < end && start < m.iova + m.size)) {
    throw new KernelError("EEXIST", { detail: "Cannot map DMA: the range is already mapped" });
  }
  entry.mappings = [...entry.mappings, { iova: start, size: end - start }]
    .sort((a, b) => a.iova - b.iova);
  bindMemory(world, vdev, handleId).setMappings(entry.mappings);
}

/**
 * VFIO_IOMMU_UNMAP_DMA: removes the mappings inside `[iova, iova + size)`. Mappings with pages
 * the device pinned are announced first (vfio_notify_dma_unmap), and vfio-ccw resets itself when
 * its program pinned any of them.
 *
 * @returns the number of bytes unmapped
 * @throws {KernelError} EINVAL for an unaligned range or one that cuts a mapping in two.
 */
export function dmaUnmap(world: World, handleId: number, iova: bigint, size: bigint): number {
  const vdev = ccwDeviceOf(world, handleId);
  checkPageRange(iova, size, "Cannot unmap DMA");
  const entry = handleOf(world, handleId);
  const start = Number(iova);
  const end = start + Number(size);
  const bisected = entry.mappings.some((m) =>
    (m.iova < start && start < m.iova + m.size) || (m.iova < end && end < m.iova + m.size)
  );
  if (bisected) {
    throw new KernelError("EINVAL", { detail: "Cannot unmap DMA: the range splits a mapping" });
  }
  const removed = entry.mappings.filter((m) => start <= m.iova && m.iova + m.size <= end);
  const priv = vdev.priv;
  if (priv.ramOwner === handleId) {
    for (const m of removed) {
      if (priv.cp.iovaPinned(m.iova, m.size)) resetDevice(vdev);
    }
  }
  entry.mappings = entry.mappings.filter((m) => !removed.includes(m));
  if (priv.ramOwner === handleId && priv.cp.built) priv.cp.engine.setMappings(entry.mappings);
  return removed.reduce((sum, m) => sum + m.size, 0);
}

function checkRamRange(addr: bigint, length: number): number {
  if (addr + BigInt(length) > BigInt(GUEST_RAM_SIZE)) {
    throw new KernelError("EFAULT", {
      detail: `Cannot access guest RAM: beyond its ${GUEST_RAM_SIZE >> 20} MiB`,
    });
  }
  return Number(addr);
}

/**
 * Writes the handle's own memory (no mapping needed: it is the process's RAM).
 *
 * @throws {KernelError} EFAULT beyond the guest RAM.
 */
export function memWrite(world: World, handleId: number, addr: bigint, bytes: Uint8Array): void {
  const vdev = ccwDeviceOf(world, handleId);
  const at = checkRamRange(addr, bytes.length);
  ramOf(bindMemory(world, vdev, handleId)).set(bytes, at);
  const last = bytes.length === 0 ? -1 : Math.floor((at + bytes.length - 1) / PAGE_SIZE);
  for (let page = Math.floor(at / PAGE_SIZE); page <= last; page++) {
    vdev.priv.dirtyPages.add(page);
  }
}

/**
 * Reads the handle's own memory.
 *
 * @throws {KernelError} EFAULT beyond the guest RAM.
 */
export function memRead(world: World, handleId: number, addr: bigint, length: number): Uint8Array {
  const vdev = ccwDeviceOf(world, handleId);
  const at = checkRamRange(addr, length);
  return ramOf(bindMemory(world, vdev, handleId)).slice(at, at + length);
}

/** The DMA mappings of a handle (for `vfio handles` and tests). */
export function dmaMappings(world: World, handleId: number): readonly DmaRange[] {
  return tableOf(world).handles.get(handleId)?.mappings ?? [];
}

/** Named-field snapshot of the handles' DMA state. */
export function saveDmaTable(world: World): Array<{ handle: number } & HandleDma> {
  return [...tableOf(world).handles].map(([handle, e]) => ({
    handle,
    mappings: e.mappings.map((m) => ({ ...m })),
    blob: e.blob,
  }));
}

/** Restores what {@linkcode saveDmaTable} wrote. */
export function restoreDmaTable(
  world: World,
  entries: ReadonlyArray<{ handle: number } & HandleDma>,
): void {
  const table = tableOf(world);
  for (const e of entries) {
    table.handles.set(e.handle, { mappings: e.mappings.map((m) => ({ ...m })), blob: e.blob });
  }
}

registerHandleMemory(VFIO_CCW_OPS_NAME, { dmaMap, dmaUnmap, memWrite, memRead });
