/**
 * Browser-test helpers: Chromium as the bring-up launches it (lib/services/browser.ts),
 * and a watcher of Content Security Policy violations.
 *
 * @module
 */
import type { Page } from "playwright-core";

export { type Browser, CHROMIUM_PATH, launchBrowser } from "../../lib/services/browser.ts";

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

export type { Page };
