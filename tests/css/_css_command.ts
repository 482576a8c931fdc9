/**
 * Runs one `css` command body the way cli/main.ts runs commands (failures
 * reported by cli/errors.ts), so the tests see a shell user's view of
 * cli/commands/css.ts: `deno run -A _css_command.ts ROOT JSON(0|1) CMD ARGS…`.
 * Options are `--devno V`, `--size V`, `--type V` after the positionals.
 *
 * @module
 */
import * as css from "../../cli/commands/css.ts";
import { report } from "../../cli/errors.ts";
import { err, outJson } from "../../cli/output.ts";

const [root, jsonFlag, command, ...rest] = Deno.args;
const json = jsonFlag === "1";
const positional = rest.filter((_, i) =>
  !rest[i]!.startsWith("--") && !rest[i - 1]?.startsWith("--")
);
const option = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i < 0 ? undefined : rest[i + 1];
};
const globals = { root: root!, json };
try {
  if (command === "list") await css.list(globals);
  else if (command === "add") {
    await css.add({
      ...globals,
      ...(option("devno") === undefined ? {} : { devno: option("devno")! }),
      ...(option("size") === undefined ? {} : { size: option("size")! }),
      ...(option("type") === undefined ? {} : { type: option("type")! }),
    }, positional[0]!);
  } else if (command === "remove") await css.remove(globals, positional[0]!);
  else if (command === "chp") await css.chp(globals, positional[0]!, positional[1]!);
  else throw new Error(`unknown command ${command}`);
} catch (error) {
  const r = report(`css ${command}`, error);
  if (json) outJson(r.json);
  else err(r.stderr);
  Deno.exit(r.exitCode);
}
