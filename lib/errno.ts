/**
 * Linux errno names, numbers and strerror texts, and the one error class that
 * carries a simulated-kernel failure.
 *
 * @module
 */

/** errno name → [number, strerror text] (glibc's texts, as `strerror(3)` prints them). */
const ERRNO_TABLE = {
  EPERM: [1, "Operation not permitted"],
  ENOENT: [2, "No such file or directory"],
  EIO: [5, "Input/output error"],
  ENXIO: [6, "No such device or address"],
  E2BIG: [7, "Argument list too long"],
  EBADF: [9, "Bad file descriptor"],
  EAGAIN: [11, "Resource temporarily unavailable"],
  ENOMEM: [12, "Cannot allocate memory"],
  EACCES: [13, "Permission denied"],
  EFAULT: [14, "Bad address"],
  EBUSY: [16, "Device or resource busy"],
  EEXIST: [17, "File exists"],
  ENODEV: [19, "No such device"],
  ENOTDIR: [20, "Not a directory"],
  EISDIR: [21, "Is a directory"],
  EINVAL: [22, "Invalid argument"],
  ENOTTY: [25, "Inappropriate ioctl for device"],
  ENOSPC: [28, "No space left on device"],
  ERANGE: [34, "Numerical result out of range"],
  ENOSYS: [38, "Function not implemented"],
  ENODATA: [61, "No data available"],
  EUSERS: [87, "Too many users"],
  EOPNOTSUPP: [95, "Operation not supported"],
  ETIMEDOUT: [110, "Connection timed out"],
  EPROBE_DEFER: [517, "Probe deferral"],
} as const;

/** A Linux errno name known to mdevsim. */
export type ErrnoName = keyof typeof ERRNO_TABLE;

/** Every errno name, in numeric order. */
export const ERRNO_NAMES: readonly ErrnoName[] = (Object.keys(ERRNO_TABLE) as ErrnoName[])
  .sort((a, b) => ERRNO_TABLE[a][0] - ERRNO_TABLE[b][0]);

const BY_NUMBER = new Map<number, ErrnoName>(ERRNO_NAMES.map((n) => [ERRNO_TABLE[n][0], n]));

/** The errno number of a name, e.g. `errnoNumber("EUSERS") === 87`. */
export function errnoNumber(name: ErrnoName): number {
  return ERRNO_TABLE[name][0];
}

/** The strerror text of a name, e.g. `strerror("EUSERS") === "Too many users"`. */
export function strerror(name: ErrnoName): string {
  return ERRNO_TABLE[name][1];
}

/** The name of an errno number (sign ignored), or undefined when mdevsim does not know it. */
export function errnoName(code: number): ErrnoName | undefined {
  return BY_NUMBER.get(Math.abs(code));
}

/** Parses `EINVAL`, `einval`, `22` or `-22` into an errno name. */
export function parseErrno(text: string): ErrnoName | undefined {
  const upper = text.trim().toUpperCase();
  if (upper in ERRNO_TABLE) return upper as ErrnoName;
  if (/^-?\d+$/.test(upper)) return errnoName(Number(upper));
  return undefined;
}

/** Kernel-style negative return code of a name: `-errno`. */
export function neg(name: ErrnoName): number {
  return -ERRNO_TABLE[name][0];
}

/**
 * A failure of the simulated kernel: what a syscall would return as -1 with
 * `errno` set. `path` names the sysfs file or object the operation touched.
 */
export class KernelError extends Error {
  /** The errno name, e.g. `"EEXIST"`. */
  readonly errno: ErrnoName;
  /** The sysfs path or object the failing operation touched, if any. */
  path: string | undefined;

  constructor(errno: ErrnoName, options: { path?: string; detail?: string } = {}) {
    super(options.detail ?? strerror(errno));
    this.name = "KernelError";
    this.errno = errno;
    this.path = options.path;
  }

  /** A KernelError for a negative kernel return code (EIO when the number is unknown). */
  static fromReturn(ret: number, options: { path?: string; detail?: string } = {}): KernelError {
    return new KernelError(errnoName(ret) ?? "EIO", options);
  }

  /** The errno number, e.g. 17 for EEXIST. */
  get code(): number {
    return errnoNumber(this.errno);
  }
}

/** Throws a KernelError for a negative kernel return code; returns non-negative codes unchanged. */
export function check(ret: number, path?: string): number {
  if (ret >= 0) return ret;
  const name = errnoName(ret);
  if (name === undefined) throw new RangeError(`Cannot map return code ${ret} to an errno`);
  throw new KernelError(name, path === undefined ? {} : { path });
}
