/**
 * Headless Chromium for browser tests: Debian's `/usr/bin/chromium` driven by
 * playwright-core, with the flags this sandboxed, offline machine needs.
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
