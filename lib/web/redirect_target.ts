/**
 * Where to send a visitor after signing in (`next`): only ever a path on this site,
 * decided on the URL a browser would follow. The value is parsed against the site's
 * own origin (as a browser resolves a `Location`), so whatever the parser ignores or
 * rewrites (tabs, backslashes, `//host`, `/\t/host`) cannot lead elsewhere.
 *
 * @module
 */
import type { Result } from "../core/result.ts";

/** Longer `next` values are refused: no legitimate dashboard URL comes near. */
export const MAX_NEXT_LENGTH = 2048;

/**
 * The same-origin path (pathname, search and hash) `value` leads to from `base`, or
 * `fallback` when it is empty or leads to another origin; refused (answer 400) when it
 * has control characters (CR, LF, tab…), is too long or is no URL.
 */
export function sameOriginPath(
  value: string | null | undefined,
  base: URL,
  fallback: string,
): Result<string> {
  if (value === null || value === undefined || value === "") return { ok: true, value: fallback };
  const quoted = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value.length > MAX_NEXT_LENGTH) {
    return { ok: false, reason: `Cannot use next ${quoted}: longer than ${MAX_NEXT_LENGTH}` };
  }
  // deno-lint-ignore no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    return { ok: false, reason: `Cannot use next ${quoted}: it has control characters` };
  }
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return { ok: false, reason: `Cannot use next ${quoted}: not a URL` };
  }
  if (url.origin !== base.origin) return { ok: true, value: fallback };
  return { ok: true, value: url.pathname + url.search + url.hash };
}
