/**
 * Channel paths going offline and coming back (`css chp CHPID on|off`): the
 * channel subsystem updates the path-available mask of every subchannel
 * using the path, reports a channel-path CRW (vfio-ccw.md §4.1: RSC 4, ERC 6
 * offline / ERC 2 online, RSID = CHPID; Linux logs it), and the kernel's
 * CRW handler calls each affected subchannel's driver `chpEvent` with the
 * path bits that use the CHPID.
 *
 * @module
 */
import type { World } from "../core/world.ts";
import { KernelError } from "../errno.ts";
import { cssCore } from "./core.ts";
import { CRW_ERC, CRW_RSC, crwLogLine, encodeCrw, simpleCrw } from "./crw.ts";

/** The sysfs-style name of a CHPID (`chp0.50`). */
export function chpName(chpid: number): string {
  return `chp0.${chpid.toString(16).padStart(2, "0")}`;
}

/**
 * Sets a channel path online or offline. Returns the CRW word reported, or
 * null when the path already was in that state (nothing happens).
 *
 * @throws {KernelError} ENOENT for a CHPID no subchannel was ever given
 */
export function setChannelPath(world: World, chpid: number, online: boolean): number | null {
  const core = cssCore(world);
  const current = core.chps.get(chpid);
  if (current === undefined) {
    throw new KernelError("ENOENT", { path: `/sys/devices/css0/${chpName(chpid)}` });
  }
  if (current === online) return null;
  core.chps.set(chpid, online);
  const affected = [];
  for (const sch of core.subchannels()) {
    let mask = 0;
    sch.pmcw.chpids.forEach((id, path) => {
      if (id === chpid && (sch.pmcw.pim & (0x80 >> path)) !== 0) mask |= 0x80 >> path;
    });
    if (mask === 0) continue;
    sch.pmcw.pam = online ? sch.pmcw.pam | mask : sch.pmcw.pam & ~mask & 0xff;
    affected.push({ sch, mask });
  }
  const crw = simpleCrw(CRW_RSC.CPATH, online ? CRW_ERC.INIT : CRW_ERC.PERRN, chpid);
  world.log(crwLogLine(crw));
  world.log(`css: ${chpName(chpid)} ${online ? "online" : "offline"}`);
  for (const { sch, mask } of affected) {
    sch.cssDriver?.chpEvent?.(sch, mask, online ? "online" : "offline");
  }
  return encodeCrw(crw);
}
