/**
 * How a handle's guest RAM is stored in `world.blobs`: only the 4 KiB pages that hold a non-zero
 * byte, so 16 MiB of mostly empty RAM costs a few pages on disk, and an update rewrites only the
 * pages that may have changed instead of scanning the whole RAM.
 *
 * ```text
 * u32 BE  RAM size in bytes
 * then per non-zero page, ascending:  u32 BE page number · 4096 bytes
 * ```
 *
 * @module
 */

const PAGE_SIZE = 4096;
const HEADER = 4;
const ENTRY = 4 + PAGE_SIZE;

/**
 * The stored pages of a blob, by page number (views into the blob).
 *
 * @throws {RangeError} When the blob is truncated.
 */
function storedPages(blob: Uint8Array): Map<number, Uint8Array> {
  if (blob.length < HEADER || (blob.length - HEADER) % ENTRY !== 0) {
    throw new RangeError(`Cannot decode guest RAM: blob of ${blob.length} bytes is truncated`);
  }
  const pages = new Map<number, Uint8Array>();
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let at = HEADER; at < blob.length; at += ENTRY) {
    pages.set(view.getUint32(at), blob.subarray(at + 4, at + ENTRY));
  }
  return pages;
}

/**
 * Copies the pages of a blob into zeroed `ram` (pages that do not fit are dropped).
 *
 * @throws {RangeError} When the blob is truncated.
 */
export function decodeGuestRam(blob: Uint8Array, ram: Uint8Array): void {
  for (const [page, bytes] of storedPages(blob)) {
    const offset = page * PAGE_SIZE;
    if (offset + PAGE_SIZE <= ram.length) ram.set(bytes, offset);
  }
}

/**
 * A blob with the listed pages of `ram` brought up to date: `blob` (an empty RAM when undefined)
 * with each listed page replaced by its current bytes, all-zero pages dropped.
 *
 * @throws {RangeError} When the blob is truncated.
 */
export function updateGuestRam(
  blob: Uint8Array | undefined,
  ram: Uint8Array,
  pages: Iterable<number>,
): Uint8Array {
  const stored = blob === undefined ? new Map<number, Uint8Array>() : storedPages(blob);
  for (const page of pages) {
    const offset = page * PAGE_SIZE;
    if (offset + PAGE_SIZE > ram.length) continue;
    const bytes = ram.subarray(offset, offset + PAGE_SIZE);
    if (bytes.some((b) => b !== 0)) stored.set(page, bytes);
    else stored.delete(page);
  }
  const order = [...stored.keys()].sort((a, b) => a - b);
  const out = new Uint8Array(HEADER + order.length * ENTRY);
  const view = new DataView(out.buffer);
  view.setUint32(0, ram.length);
  order.forEach((page, i) => {
    view.setUint32(HEADER + i * ENTRY, page);
    out.set(stored.get(page)!, HEADER + i * ENTRY + 4);
  });
  return out;
}
