/**
 * `deno task vendor:uplot`: copies uPlot's stylesheet and its license from the
 * installed npm package into `static/vendor/`, so the version served always matches
 * the `uplot` pinned in deno.json. Run it after changing that pin.
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve("uplot/package.json"));
const target = new URL("../static/vendor/", import.meta.url);
await Deno.mkdir(target, { recursive: true });
const { version } = JSON.parse(await Deno.readTextFile(join(packageDir, "package.json")));
const css = await Deno.readTextFile(join(packageDir, "dist", "uPlot.min.css"));
await Deno.writeTextFile(
  new URL("uPlot.min.css", target),
  `/* uPlot ${version} (MIT, see uPlot.LICENSE): copied by scripts/vendor_uplot.ts */\n${css}\n`,
);
await Deno.copyFile(join(packageDir, "LICENSE"), new URL("uPlot.LICENSE", target));
console.log(`Copied uPlot ${version} stylesheet and license to static/vendor/`);
