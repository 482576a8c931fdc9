/**
 * The sysfs attributes of a subchannel (drivers/s390/cio/css.c): `type` and
 * `modalias` every subchannel has, `chpids`, `pimpampom` and `dev_busid` of
 * I/O subchannels, and the uevent variables css_uevent() adds. The generic
 * `driver_override` file comes from the driver core (the css bus has it).
 *
 * @module
 */
import { type AttributeGroup, roAttr } from "../core/attribute.ts";
import type { Device } from "../core/device.ts";
import { formatBusId } from "./ids.ts";
import { Subchannel } from "./subchannel.ts";

/**
 * The attribute groups of a css device (none for other devices).
 *
 * `chpids` prints all eight paths as `%02x ` (a path not installed is `00`)
 * and so ends in a space before the newline, as chp_ids_show() does.
 */
export function cssAttributeGroups(dev: Device): readonly AttributeGroup[] {
  if (!(dev instanceof Subchannel)) return [];
  const hex2 = (n: number) => n.toString(16).padStart(2, "0");
  return [{
    attrs: [
      roAttr("type", () => `${dev.subchannelType.toString(16)}\n`),
      roAttr("modalias", () => `css:t${dev.subchannelType.toString(16).toUpperCase()}\n`),
      roAttr("chpids", () => {
        const p = dev.pmcw;
        return p.chpids.map((id, path) => `${hex2((p.pim & (0x80 >> path)) !== 0 ? id : 0)} `)
          .join("") + "\n";
      }),
      roAttr("pimpampom", () => {
        const p = dev.pmcw;
        return `${hex2(p.pim)} ${hex2(p.pam)} ${hex2(p.pom)}\n`;
      }),
      roAttr(
        "dev_busid",
        () =>
          dev.pmcw.dnv
            ? `${formatBusId({ ssid: dev.busId.ssid, number: dev.pmcw.devno })}\n`
            : "none\n",
      ),
    ],
  }];
}

/** The variables css_uevent() adds to a subchannel's uevent (`ST=`, `MODALIAS=`). */
export function cssUeventVars(dev: Device): string[] {
  if (!(dev instanceof Subchannel)) return [];
  const type = dev.subchannelType.toString(16).toUpperCase();
  return [`ST=${type}`, `MODALIAS=css:t${type}`];
}
