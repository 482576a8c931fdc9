/**
 * The config-space accesses the display samples share (mdpy.c and mbochs.c
 * handle them identically): a little-endian read of the 0xFF-byte region,
 * and the sizing protocol of a 32-bit memory BAR.
 *
 * @module
 */

/** PCI_BASE_ADDRESS_MEM_MASK: the address bits of a memory BAR. */
export const MEM_ADDRESS_MASK = 0xfffffff0;

/** Reads `size` bytes at `offset`, little-endian; bytes at or past `limit` read as 0. */
export function readConfigBytes(
  bytes: Uint8Array,
  offset: number,
  size: 1 | 2 | 4,
  limit: number,
): number {
  let value = 0;
  for (let i = size - 1; i >= 0; i--) {
    const at = offset + i;
    value = value * 0x100 + (at < limit ? bytes[at]! : 0);
  }
  return value;
}

/**
 * A write to a memory BAR of `barSize` bytes (a power of two): all-ones stores the size mask, any
 * other value its address bits; the type nibble already in the BAR is kept.
 */
export function writeMemoryBar(
  bytes: Uint8Array,
  offset: number,
  barSize: number,
  value: number,
): void {
  const address = value === 0xffffffff ? value & -barSize : value & MEM_ADDRESS_MASK;
  const typeBits = bytes[offset]! & ~MEM_ADDRESS_MASK;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, (address | typeBits) >>> 0, true);
}
