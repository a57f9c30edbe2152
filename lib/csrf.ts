/**
 * Cross-site request protection for the shop's forms: a token tied to the visitor's
 * cookie (an HMAC of its `user_id`) in a hidden field, plus the browser's own
 * `Origin` and `Sec-Fetch-Site` headers when present. A cross-site page can neither
 * read the token nor (SameSite=Lax) send the cookie with a POST.
 *
 * @module
 */
import type { ParseResult } from "./event.ts";
import { sign, verify } from "./signing.ts";
import { visitorId } from "./visitor.ts";

/** The hidden form field that carries the token. */
export const CSRF_FIELD = "csrf";

/** The token for forms rendered to `userId`. */
export function csrfToken(secret: Uint8Array, userId: string): string {
  return sign(secret, ["csrf", userId]);
}

/** True when `origin` (an `Origin` header) names the same host the request was sent to. */
export function isSameOrigin(req: Request, origin: string): boolean {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return host === (req.headers.get("host") ?? new URL(req.url).host);
}

/**
 * Checks a form POST: same-origin headers when the browser sent them, a visitor
 * cookie, and the token in `form` for that visitor. Returns the visitor's id, or why
 * the request is refused (answer 403).
 */
export function checkCsrf(
  secret: Uint8Array,
  req: Request,
  form: { get(name: string): unknown },
): ParseResult<string> {
  const site = req.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") {
    return { ok: false, reason: `cross-site request refused: Sec-Fetch-Site is "${site}"` };
  }
  const origin = req.headers.get("origin");
  if (origin && !isSameOrigin(req, origin)) {
    return { ok: false, reason: `cross-site request refused: Origin "${origin}"` };
  }
  const userId = visitorId(req);
  if (!userId) return { ok: false, reason: "no visitor cookie: reload the page and try again" };
  const token = form.get(CSRF_FIELD);
  if (typeof token !== "string" || token === "") {
    return { ok: false, reason: "missing form token: reload the page and try again" };
  }
  if (!verify(secret, ["csrf", userId], token)) {
    return { ok: false, reason: "invalid form token: reload the page and try again" };
  }
  return { ok: true, value: userId };
}
