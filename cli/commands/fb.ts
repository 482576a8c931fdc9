/**
 * `fb info|mode|draw|snapshot|damage` (cli.md §7): the display devices (mdpy, mbochs) from both
 * sides — the guest driver programming the mode and drawing through BAR0, and the host's display
 * refresh path (query the plane, read it, convert to RGBA in WebAssembly, PNG).
 *
 * Every command works through a VFIO handle: `--handle H`, else the device's oldest open handle
 * (a running VM holds the device open), else one opened for the command and closed after it.
 * mbochs drops its VRAM on close, so drawings on it only last while a handle stays open.
 *
 * @module
 */
import type { World } from "../../lib/core/world.ts";
import { KernelError } from "../../lib/errno.ts";
import { fourccName, type GfxPlaneInfo } from "../../lib/drivers/gfx_plane.ts";
import { closeDmaBufFile, dmaBufFile } from "../../lib/drivers/mbochs/dmabuf.ts";
import { bochsSetMode } from "../../lib/display/bochs_drm.ts";
import { guestDriverOf, GuestFramebuffer } from "../../lib/display/guest_fb.ts";
import { mdpyFbProbe } from "../../lib/display/mdpy_fb.ts";
import { PATTERN_NAMES, type PatternName } from "../../lib/display/patterns.ts";
import { type DisplayMode, probeDisplay, queryPlane } from "../../lib/display/refresh.ts";
import { mdevCore } from "../../lib/mdev/core.ts";
import { handleDevice, vfioClose, vfioCore, vfioOpen } from "../../lib/vfio/core.ts";
import { VfioDevice } from "../../lib/vfio/device.ts";
import { deviceIoctl } from "../../lib/vfio/ioctl.ts";
import { putU32, VFIO } from "../../lib/vfio/uapi.ts";
import type { FbEngine, Rect } from "../../lib/wasm/fb.ts";
import { UsageError } from "../errors.ts";
import { err, out, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { parseUuidArg } from "./mdev.ts";

/** Options every `fb` command takes. */
export interface FbOptions extends GlobalOptions {
  /** Use this open VFIO handle of the device. */
  handle?: string;
}

/** The handle a command works through, and whether the command opened it. */
interface DisplayHandle {
  readonly vdev: VfioDevice;
  readonly id: number;
  readonly temporary: boolean;
}

function parseHandle(text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) {
    throw new UsageError(`invalid value '${text}' for '--handle <h>': not a handle number`);
  }
  return Number(text);
}

/** `--handle H`, else the oldest open handle of the device, else a new one. */
function acquireHandle(world: World, uuid: string, given: number | undefined): DisplayHandle {
  if (given !== undefined) {
    const { handle, vdev } = handleDevice(world, given);
    if (handle.name !== uuid) {
      throw new KernelError("EINVAL", {
        path: `handle ${given}`,
        detail: `not a handle of ${uuid}`,
      });
    }
    return { vdev, id: given, temporary: false };
  }
  const open = [...vfioCore(world).handles.values()].find((h) => h.name === uuid);
  if (open !== undefined) {
    return { vdev: world.device(open.device) as VfioDevice, id: open.id, temporary: false };
  }
  const path = `/sys/bus/mdev/devices/${uuid}`;
  const mdev = mdevCore(world).list.get(uuid);
  if (mdev === undefined) throw new KernelError("ENOENT", { path });
  const vdev = mdev.driverData;
  if (!(vdev instanceof VfioDevice) || vdev.group === undefined) {
    throw new KernelError("ENODEV", { path });
  }
  const handle = vfioOpen(world, vdev.group, uuid, `/dev/vfio/${vdev.group}`);
  return { vdev, id: handle.id, temporary: true };
}

/** Runs `body` with the device's display handle; a temporary handle is closed afterwards. */
async function withDisplay<T>(
  options: FbOptions,
  deviceArg: string,
  body: (world: World, vdev: VfioDevice, json: boolean, temporary: boolean) => T,
): Promise<T> {
  const uuid = parseUuidArg(deviceArg, "DEVICE");
  const given = options.handle === undefined ? undefined : parseHandle(options.handle);
  return await withWorld(options, ({ world, json }) => {
    const display = acquireHandle(world, uuid, given);
    try {
      return body(world, display.vdev, json, display.temporary);
    } finally {
      if (display.temporary) vfioClose(world, display.id);
    }
  });
}

async function loadEngine(): Promise<FbEngine> {
  const { loadFbCore } = await import("../../lib/wasm/fb.ts");
  return await loadFbCore();
}

/**
 * The plane's byte offset: 0 in region mode; in dmabuf mode where the exported buffer starts in
 * VRAM, or null when there is no buffer to export.
 */
function planeOffset(
  world: World,
  vdev: VfioDevice,
  mode: DisplayMode,
  info: GfxPlaneInfo,
): number | null {
  if (mode === "region") return 0;
  if (info.size === 0) return null;
  const arg = new Uint8Array(4);
  putU32(arg, 0, info.id);
  let fd: number;
  try {
    fd = deviceIoctl(vdev, VFIO.DEVICE_GET_GFX_DMABUF, arg);
  } catch (error) {
    // An offset that is not page-aligned cannot be exported (EINVAL): the host cannot see it.
    if (error instanceof KernelError && error.errno === "EINVAL") return null;
    throw error;
  }
  try {
    return dmaBufFile(world, fd).mode.offset;
  } finally {
    closeDmaBufFile(world, fd);
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** `mdevsim fb info DEVICE`: the primary plane QUERY_GFX_PLANE reports. */
export async function info(options: FbOptions, deviceArg: string): Promise<void> {
  await withDisplay(options, deviceArg, (world, vdev, json) => {
    const mode = probeDisplay(vdev);
    const plane = queryPlane(vdev, mode);
    const offset = planeOffset(world, vdev, mode, plane);
    const idKey = mode === "region" ? "region_index" : "dmabuf_id";
    if (json) {
      return outJson({
        device: vdev.parent!.name,
        mode,
        width: plane.width,
        height: plane.height,
        stride: plane.stride,
        fourcc: plane.drmFormat === 0 ? null : fourccName(plane.drmFormat),
        drm_format: plane.drmFormat,
        offset,
        size: plane.size,
        [idKey]: plane.id,
      });
    }
    out(
      `mode=${mode} width=${plane.width} height=${plane.height} stride=${plane.stride} ` +
        `fourcc=${fourccName(plane.drmFormat)} format=${hex(plane.drmFormat)} ` +
        `offset=${offset === null ? "-" : hex(offset)} size=${plane.size} ${idKey}=${plane.id}\n`,
    );
  });
}

/** Parses `WxHxBPP`. */
function parseMode(text: string): { width: number; height: number; bpp: number } {
  const match = /^([0-9]{1,5})x([0-9]{1,5})x([0-9]{1,2})$/.exec(text);
  if (match === null) {
    throw new UsageError(`invalid mode '${text}': expected WxHxBPP, e.g. 1024x768x32`);
  }
  return { width: Number(match[1]), height: Number(match[2]), bpp: Number(match[3]) };
}

/**
 * `mdevsim fb mode DEVICE WxHxBPP`: as the guest driver does it — mbochs: the bochs DRM driver's
 * DISPI sequence (32 bpp only); mdpy: only its fixed mode is accepted. Else EINVAL.
 */
export async function mode(options: FbOptions, deviceArg: string, modeArg: string): Promise<void> {
  const wanted = parseMode(modeArg);
  await withDisplay(options, deviceArg, (_world, vdev, json) => {
    const path = vdev.parent!.name;
    let stride: number;
    let offset: number;
    if (guestDriverOf(vdev) === "mdpy-fb") {
      const fb = mdpyFbProbe(vdev);
      if (fb.width !== wanted.width || fb.height !== wanted.height || wanted.bpp !== 32) {
        throw new KernelError("EINVAL", {
          path,
          detail: `mdpy shows only ${fb.width}x${fb.height}x32`,
        });
      }
      stride = fb.lineLength;
      offset = 0;
    } else {
      if (wanted.bpp !== 32) {
        throw new KernelError("EINVAL", { path, detail: "bochs drives XRGB8888 (32 bpp) only" });
      }
      const scanout = bochsSetMode(vdev, wanted.width, wanted.height);
      stride = scanout.pitch;
      offset = scanout.offset;
    }
    if (json) outJson({ device: path, ...wanted, stride, offset });
  });
}

function parseNumber(text: string | undefined, what: string): number {
  const value = text === undefined
    ? NaN
    : /^0x[0-9a-f]+$/i.test(text)
    ? parseInt(text.slice(2), 16)
    : /^-?[0-9]+$/.test(text)
    ? Number(text)
    : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`invalid value '${text ?? ""}' for ${what}: not a number`);
  }
  return value;
}

function parseColor(text: string | undefined, what: string): number {
  if (text === undefined || !/^0x[0-9a-f]{1,6}$/i.test(text)) {
    throw new UsageError(`invalid value '${text ?? ""}' for ${what}: expected 0xRRGGBB`);
  }
  return parseInt(text.slice(2), 16);
}

function parseBitmap(text: string | undefined): Uint8Array {
  if (text === undefined || text.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(text)) {
    throw new UsageError(`invalid value '${text ?? ""}' for HEX: expected pairs of hex digits`);
  }
  return Uint8Array.from(
    { length: text.length / 2 },
    (_, i) => parseInt(text.slice(2 * i, 2 * i + 2), 16),
  );
}

/** The arguments of each drawing operation. */
const ARITY: Readonly<Record<string, number>> = { fill: 5, copy: 6, pattern: 1, mono: 7 };

function rectFrom(args: string[], at: number): Rect {
  return {
    x: parseNumber(args[at], "X"),
    y: parseNumber(args[at + 1], "Y"),
    width: parseNumber(args[at + 2], "W"),
    height: parseNumber(args[at + 3], "H"),
  };
}

/** A parsed drawing operation, applied to the guest's framebuffer. */
function parseDraw(op: string, args: string[]): (fb: GuestFramebuffer) => void {
  const arity = ARITY[op];
  if (arity === undefined) {
    throw new UsageError(`unknown drawing operation '${op}': expected fill, copy, pattern, mono`);
  }
  if (args.length !== arity) {
    throw new UsageError(`'${op}' takes ${arity} arguments, ${args.length} given`);
  }
  switch (op) {
    case "fill": {
      const rect = rectFrom(args, 0);
      const color = parseColor(args[4], "COLOR");
      return (fb) => fb.fill(rect, color);
    }
    case "copy": {
      const [sx, sy, dx, dy, w, h] = args.map((a, i) =>
        parseNumber(a, ["SX", "SY", "DX", "DY", "W", "H"][i]!)
      );
      return (fb) => fb.copy({ x: sx!, y: sy!, width: w!, height: h! }, dx!, dy!);
    }
    case "pattern": {
      const name = args[0]!;
      if (!(PATTERN_NAMES as readonly string[]).includes(name)) {
        throw new UsageError(`unknown pattern '${name}': expected ${PATTERN_NAMES.join(", ")}`);
      }
      return (fb) => fb.pattern(name as PatternName);
    }
    default: {
      const rect = rectFrom(args, 0);
      const fg = parseColor(args[4], "FG");
      const bg = parseColor(args[5], "BG");
      const bitmap = parseBitmap(args[6]);
      return (fb) => fb.mono(rect, fg, bg, bitmap);
    }
  }
}

/** `mdevsim fb draw DEVICE OP [ARGS…]`: guest-side drawing through BAR0. */
export async function draw(
  options: FbOptions,
  deviceArg: string,
  op: string,
  args: string[],
): Promise<void> {
  const apply = parseDraw(op, args);
  const engine = await loadEngine();
  await withDisplay(options, deviceArg, (_world, vdev, json, temporary) => {
    const fb = new GuestFramebuffer(vdev, engine);
    apply(fb);
    if (temporary && guestDriverOf(vdev) === "bochs") {
      err(
        "mdevsim: fb draw: note: no VFIO handle was open, and mbochs drops its VRAM when the " +
          "device closes; keep one open (`mdevsim vfio open DEVICE`) for drawings to last",
      );
    }
    if (json) outJson({ device: vdev.parent!.name, op, args, width: fb.width, height: fb.height });
  });
}

/** `mdevsim fb snapshot DEVICE --out FILE.png`: the display refresh path into a PNG. */
export async function snapshot(
  options: FbOptions & { out: string },
  deviceArg: string,
): Promise<void> {
  const engine = await loadEngine();
  const { DisplayClient } = await import("../../lib/display/refresh.ts");
  await withDisplay(options, deviceArg, (world, vdev, json) => {
    const device = vdev.parent!.name;
    const shot = new DisplayClient(world, vdev, engine).snapshot();
    if (shot === undefined) {
      throw new KernelError("ENODATA", {
        path: device,
        detail: "the device shows no plane (no mode is set)",
      });
    }
    try {
      Deno.writeFileSync(options.out, shot.png);
    } catch (error) {
      throw new UsageError(`cannot write ${options.out}: ${(error as Error).message}`);
    }
    const { width, height } = shot.image.frame;
    if (json) outJson({ device, out: options.out, width, height, bytes: shot.png.length });
    else out(`${options.out}: ${width}x${height} PNG, ${shot.png.length} bytes\n`);
  });
}

/** `mdevsim fb damage DEVICE`: rectangles changed since the previous snapshot, one per line. */
export async function damage(options: FbOptions, deviceArg: string): Promise<void> {
  const engine = await loadEngine();
  const { DisplayClient } = await import("../../lib/display/refresh.ts");
  await withDisplay(options, deviceArg, (world, vdev, json) => {
    const rects = new DisplayClient(world, vdev, engine).damage();
    if (rects === undefined) {
      throw new KernelError("ENODATA", {
        path: vdev.parent!.name,
        detail: "the device shows no plane (no mode is set)",
      });
    }
    if (json) return outJson({ device: vdev.parent!.name, rects });
    out(rects.map((r) => `x=${r.x} y=${r.y} width=${r.width} height=${r.height}\n`).join(""));
  });
}
