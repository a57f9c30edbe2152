/**
 * Headless Chromium for browser tests: Debian's `/usr/bin/chromium` driven by
 * playwright-core, with the flags this sandboxed, offline machine needs.
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";

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

/**
 * Collects Content Security Policy violations on `page`: the `securitypolicyviolation`
 * events of every document it loads, and Chromium's own "Refused to …" console reports.
 * Call before `goto`; assert the array is empty at the end.
 */
export async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy|^CSP violation/.test(text)) violations.push(text);
  });
  // Init scripts run through the DevTools protocol, outside the page's CSP.
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(
        `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`,
      );
    });
  });
  return violations;
}

export type { Browser, Page };
