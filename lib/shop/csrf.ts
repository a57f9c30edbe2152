/**
 * Cross-site request protection for the shop's forms: a form token tied to the
 * visitor's signed cookie (lib/shop/form_token.ts) in a hidden field, plus the browser's
 * own `Origin` and `Sec-Fetch-Site` headers when present. A cross-site page can
 * neither read the token nor (SameSite=Lax) send the cookie with a POST.
 *
 * @module
 */
import type { ParseResult } from "../core/event.ts";
import { type FormToken, issueFormToken, verifyFormToken } from "./form_token.ts";
import { ORDER_FIELDS } from "./order_form.ts";
import { visitorId } from "./visitor.ts";

/** A fresh token for a form rendered to `userId` (each places one order). */
export function csrfToken(secret: Uint8Array, userId: string): string {
  return issueFormToken(secret, { userId });
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

/** A form POST that passed {@linkcode checkCsrf}: its visitor and its token. */
export interface CheckedForm {
  userId: string;
  token: FormToken;
}

/**
 * Checks a form POST: same-origin headers when the browser sent them, a signed
 * visitor cookie, and a valid, unexpired token in `form` for that visitor. Returns
 * the visitor's id and the token, or why the request is refused (answer 403). Whether
 * the token was used before is the ledger's to say (lib/shop/form_token_ledger.ts).
 */
export function checkCsrf(
  secret: Uint8Array,
  req: Request,
  form: { get(name: string): unknown },
): ParseResult<CheckedForm> {
  const site = req.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") {
    return { ok: false, reason: `cross-site request refused: Sec-Fetch-Site is "${site}"` };
  }
  const origin = req.headers.get("origin");
  if (origin && !isSameOrigin(req, origin)) {
    return { ok: false, reason: `cross-site request refused: Origin "${origin}"` };
  }
  const userId = visitorId(secret, req);
  if (!userId) return { ok: false, reason: "no visitor cookie: reload the page and try again" };
  const token = verifyFormToken(secret, form.get(ORDER_FIELDS.token), { userId });
  if (!token.ok) return token;
  return { ok: true, value: { userId, token: token.value } };
}
