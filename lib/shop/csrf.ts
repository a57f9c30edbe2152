/**
 * Cross-site request protection for the shop's forms: a form token tied to the
 * visitor's signed cookie (lib/shop/form_token.ts) in a hidden field, plus the browser's
 * own `Origin` and `Sec-Fetch-Site` headers when present. A cross-site page can
 * neither read the token nor (SameSite=Lax) send the cookie with a POST.
 *
 * @module
 */
import type { Result } from "../core/result.ts";
import { crossSiteReason } from "../core/origin.ts";
import { type FormToken, issueFormToken, verifyFormToken } from "./form_token.ts";
import { ORDER_FIELDS } from "./order_form.ts";
import { visitorId } from "./visitor.ts";

/** A fresh token for a form rendered to `userId` (each places one order). */
export function csrfToken(secret: Uint8Array, userId: string): string {
  return issueFormToken(secret, { userId });
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
): Result<CheckedForm> {
  const crossSite = crossSiteReason(req);
  if (crossSite) return { ok: false, reason: `cross-site request refused: ${crossSite}` };
  const userId = visitorId(secret, req);
  if (!userId) return { ok: false, reason: "no visitor cookie: reload the page and try again" };
  const token = verifyFormToken(secret, form.get(ORDER_FIELDS.token), { userId });
  if (!token.ok) return token;
  return { ok: true, value: { userId, token: token.value } };
}
