/**
 * Headless Chromium for the browser tests, the screenshot and the dashboard benchmark:
 * Debian's `/usr/bin/chromium` driven by playwright-core, with the flags this sandboxed,
 * offline machine needs (without the background-networking ones, Chromium's connections
 * are refused by the closed network, many at a time).
 *
 * @module
 */
import { type Browser, chromium } from "playwright-core";

/** The Chromium binary (override with `CHROMIUM_PATH`). */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium with the flags this machine needs, plus `extraArgs`;
 * dispose it with `await using` or `close()`.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      ...extraArgs,
    ],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

export type { Browser };
