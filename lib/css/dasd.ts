/**
 * The emulated 3390-like disk behind an I/O subchannel: fixed 4 KiB blocks,
 * a current position, 32 sense bytes, and sparse storage in the world's blob
 * store — a block has a blob only once written, and a blob is read only
 * when a command touches its block.
 *
 * The device answers one command at a time with what it will transfer
 * ({@linkcode DeviceOperation}); the channel (channel.ts) moves the bytes.
 *
 * | cmd  | command        | transfers                                                |
 * |------|----------------|----------------------------------------------------------|
 * | 0x01 | WRITE          | 4096 bytes to the block at the position, then advances     |
 * | 0x02 | READ           | 4096 bytes of the block at the position, then advances     |
 * | 0x03 | NOP            | nothing                                                  |
 * | 0x04 | SENSE          | the 32 sense bytes, then clears them                     |
 * | 0x07 | SEEK           | 4 bytes: a big-endian block number to position at        |
 * | 0x0C | READ BACKWARD  | 4096 bytes of the block before the position, last byte first, then moves back |
 * | 0xE4 | SENSE ID       | 7 bytes: FF, CU 3990 model E9, device 3390 model 0C      |
 *
 * Anything else is rejected: unit check with sense byte 0 = command reject.
 * Reading or writing past the last block (or backward before the first) is a
 * unit check with sense byte 1 = no record found; a SEEK argument shorter
 * than 4 bytes or beyond the last block is a command reject.
 *
 * @module
 */
import type { World } from "../core/world.ts";
import { CCW_CMD } from "./ccw.ts";
import { fromHex, toHex } from "./hex.ts";

/** Bytes per block (the unit of READ, WRITE, SEEK and of the blob store). */
export const DASD_BLOCK_SIZE = 4096;

/** What a never-written block reads as (shared, never written to). */
const ZERO_BLOCK = new Uint8Array(DASD_BLOCK_SIZE);

/** Bytes SENSE transfers. */
export const SENSE_SIZE = 32;

/** Sense byte 0, command reject (3990 format). */
export const SENSE_COMMAND_REJECT = 0x80;

/** Sense byte 1, no record found (3990 format). */
export const SENSE_NO_RECORD_FOUND = 0x08;

/** Control-unit and device type of the emulated disk. */
export const DASD_TYPE = {
  cuType: 0x3990,
  cuModel: 0xe9,
  devType: 0x3390,
  devModel: 0x0c,
} as const;

/**
 * The SENSE ID data: 0xFF, CU type and model, device type and model — the
 * seven bytes Linux's sense-ID check needs (it reads CIWs only if more came).
 */
export const SENSE_ID_DATA: readonly number[] = [
  0xff,
  DASD_TYPE.cuType >> 8,
  DASD_TYPE.cuType & 0xff,
  DASD_TYPE.cuModel,
  DASD_TYPE.devType >> 8,
  DASD_TYPE.devType & 0xff,
  DASD_TYPE.devModel,
];

/** What the device does for one command, as the channel sees it. */
export type DeviceOperation =
  /** Unit check at initial status (the sense bytes say why); nothing is transferred. */
  | { readonly kind: "reject" }
  /** No data (NOP). */
  | { readonly kind: "control" }
  /**
   * Device → storage, `data` in transfer order; `backward` stores it at
   * descending addresses. `done` runs after the transfer.
   */
  | { readonly kind: "read"; readonly data: Uint8Array; readonly backward: boolean; done(): void }
  /**
   * Storage → device: the device wants `length` bytes; `done` gets the bytes
   * the channel could supply and returns false for a unit check.
   */
  | { readonly kind: "write"; readonly length: number; done(data: Uint8Array): boolean };

/** The persisted form of a device. */
export interface DasdSnapshot {
  devno: number;
  blocks: number;
  position: number;
  /** Sense bytes as hex. */
  sense: string;
  /** Blocks that have a blob, ascending. */
  written: number[];
}

/** The emulated disk. */
export class DasdDevice {
  /** Device number (the `0.0.xxxx` of its bus id). */
  readonly devno: number;
  /** Capacity in blocks. */
  readonly blocks: number;
  /** The block the next READ or WRITE transfers. */
  position = 0;
  /** Sense bytes: set by a unit check, returned (and cleared) by SENSE. */
  readonly sense: Uint8Array = new Uint8Array(SENSE_SIZE);
  readonly #written: Set<number>;

  constructor(devno: number, blocks: number, written: Iterable<number> = []) {
    if (!Number.isInteger(blocks) || blocks < 1) {
      throw new RangeError(`Cannot create a disk of ${blocks} blocks`);
    }
    this.devno = devno;
    this.blocks = blocks;
    this.#written = new Set(written);
  }

  /** Capacity in MiB. */
  get sizeMiB(): number {
    return (this.blocks * DASD_BLOCK_SIZE) / (1024 * 1024);
  }

  /** Blocks that have storage, ascending. */
  writtenBlocks(): number[] {
    return [...this.#written].sort((a, b) => a - b);
  }

  /**
   * The operation for a command code. Every command but SENSE first resets
   * the sense bytes (the contingent allegiance ends with the next command).
   */
  command(world: World, cmd: number): DeviceOperation {
    if (cmd !== CCW_CMD.SENSE) this.sense.fill(0);
    switch (cmd) {
      case CCW_CMD.READ:
        if (this.position >= this.blocks) return this.#noRecord();
        return this.#read(this.#readBlock(world, this.position), false, () => this.position++);
      case CCW_CMD.READ_BACKWARD:
        if (this.position === 0) return this.#noRecord();
        // The device sends the block last byte first.
        return this.#read(this.#readBlock(world, this.position - 1).slice().reverse(), true, () => {
          this.position--;
        });
      case CCW_CMD.WRITE:
        if (this.position >= this.blocks) return this.#noRecord();
        return {
          kind: "write",
          length: DASD_BLOCK_SIZE,
          done: (data) => {
            this.#writeBlock(world, this.position++, data);
            return true;
          },
        };
      case CCW_CMD.SEEK:
        return { kind: "write", length: 4, done: (data) => this.#seek(data) };
      case CCW_CMD.NOP:
        return { kind: "control" };
      case CCW_CMD.SENSE: {
        const data = this.sense.slice();
        return this.#read(data, false, () => this.sense.fill(0));
      }
      case CCW_CMD.SENSE_ID:
        return this.#read(Uint8Array.from(SENSE_ID_DATA), false, () => {});
      default:
        this.sense[0] = SENSE_COMMAND_REJECT;
        return { kind: "reject" };
    }
  }

  /** Deletes every written block's blob (the disk is detached for good). */
  discardStorage(world: World): void {
    for (const block of this.#written) world.blobs.delete(this.#blobName(block));
    this.#written.clear();
  }

  /** Named-field snapshot. */
  toSnapshot(): DasdSnapshot {
    return {
      devno: this.devno,
      blocks: this.blocks,
      position: this.position,
      sense: toHex(this.sense),
      written: this.writtenBlocks(),
    };
  }

  /** Rebuilds a device from {@linkcode toSnapshot}'s output; no blob is read. */
  static fromSnapshot(s: DasdSnapshot): DasdDevice {
    const dev = new DasdDevice(s.devno, s.blocks, s.written);
    dev.position = s.position;
    dev.sense.set(fromHex(s.sense).subarray(0, SENSE_SIZE));
    return dev;
  }

  #read(data: Uint8Array, backward: boolean, done: () => void): DeviceOperation {
    return { kind: "read", data, backward, done };
  }

  #noRecord(): DeviceOperation {
    this.sense[1] = SENSE_NO_RECORD_FOUND;
    return { kind: "reject" };
  }

  #seek(data: Uint8Array): boolean {
    const block = data.length < 4 ? -1 : new DataView(data.buffer, data.byteOffset).getUint32(0);
    if (block < 0 || block >= this.blocks) {
      this.sense[0] = SENSE_COMMAND_REJECT;
      return false;
    }
    this.position = block;
    return true;
  }

  #blobName(block: number): string {
    return `dasd-0.0.${this.devno.toString(16).padStart(4, "0")}-${block}`;
  }

  /**
   * The block's bytes, read-only: the stored blob, or a shared zero block when never written
   * (only a written block reads its blob; no copy, the channel copies into storage).
   */
  #readBlock(world: World, block: number): Uint8Array {
    if (!this.#written.has(block)) return ZERO_BLOCK;
    return world.blobs.get(this.#blobName(block))?.subarray(0, DASD_BLOCK_SIZE) ?? ZERO_BLOCK;
  }

  /** Stores a block; data shorter than a block is padded with zeros. */
  #writeBlock(world: World, block: number, data: Uint8Array): void {
    const bytes = new Uint8Array(DASD_BLOCK_SIZE);
    bytes.set(data.subarray(0, DASD_BLOCK_SIZE));
    world.blobs.set(this.#blobName(block), bytes);
    this.#written.add(block);
  }
}
