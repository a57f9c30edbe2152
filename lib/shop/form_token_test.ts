// Form tokens: tied to the visitor's signed cookie, expiring, same-site only.
import assert from "node:assert/strict";
import { checkCsrf, csrfToken } from "./csrf.ts";
import { FORM_TOKEN_TTL_MS, issueFormToken, verifyFormToken } from "./form_token.ts";
import { signVisitorId } from "./visitor.ts";

const secret = new TextEncoder().encode("test-secret-0123456789abcdef");
const userId = "0123456789abcdef0123456789abcdef";

Deno.test("a form token is tied to the visitor's signed cookie, expires and is refused cross-site", () => {
  const token = csrfToken(secret, userId);
  assert.match(token, /^[0-9a-f]{16}\.[0-9a-z]+\.[0-9a-f]{32}$/);
  assert.notEqual(csrfToken(secret, userId), token, "each form gets its own nonce");
  const post = (headers: Record<string, string>) =>
    new Request("http://shop.test/order", {
      method: "POST",
      headers: { host: "shop.test", ...headers },
    });
  const cookie = `user_id=${signVisitorId(secret, userId)}`;
  const form = (csrf?: string) => new URLSearchParams(csrf ? { csrf } : {});
  const accepted = checkCsrf(secret, post({ cookie }), form(token));
  assert.ok(accepted.ok);
  assert.equal(accepted.value.userId, userId);
  assert.equal(accepted.value.token.nonce, token.slice(0, 16));
  assert.ok(
    checkCsrf(
      secret,
      post({ cookie, origin: "http://shop.test", "sec-fetch-site": "same-origin" }),
      form(token),
    ).ok,
  );
  const refused = (headers: Record<string, string>, csrf?: string) => {
    const result = checkCsrf(secret, post(headers), form(csrf));
    return result.ok ? "accepted" : result.reason;
  };
  assert.match(refused({ cookie }), /^missing form token/);
  assert.match(refused({ cookie }, csrfToken(secret, "f".repeat(32))), /^invalid form token/);
  assert.match(refused({ cookie }, "0".repeat(32)), /^malformed form token "0{32}"/);
  assert.match(refused({ cookie }, token + "0".repeat(200)), /^malformed form token/);
  assert.match(refused({}, token), /^no visitor cookie/);
  // The unsigned cookie of before is no visitor.
  assert.match(refused({ cookie: `user_id=${userId}` }, token), /^no visitor cookie/);
  assert.match(
    refused({ cookie, origin: "http://evil.test" }, token),
    /Origin "http:\/\/evil.test"/,
  );
  assert.match(refused({ cookie, "sec-fetch-site": "cross-site" }, token), /Sec-Fetch-Site/);

  const now = Date.UTC(2026, 0, 1);
  const old = issueFormToken(secret, { userId, now });
  assert.ok(verifyFormToken(secret, old, { userId, now: now + FORM_TOKEN_TTL_MS - 1000 }).ok);
  const expired = verifyFormToken(secret, old, { userId, now: now + FORM_TOKEN_TTL_MS + 1000 });
  assert.deepEqual(expired, {
    ok: false,
    reason: "the form has expired: reload the page and try again",
  });
  const future = verifyFormToken(secret, old, { userId, now: now - 120_000 });
  assert.equal(future.ok ? "accepted" : future.reason, "form token issued in the future");
});
