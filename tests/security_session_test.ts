// Issue 10, findings 6 and 8 (sessions, next, login guesses, Secure): each sign-in
// starts a random server-side session (only its SHA-256 stored) that logout and
// `deno task sessions --revoke` end and that a new DASHBOARD_TOKEN invalidates; `next`
// only ever leads to a path on this site and never makes a 500; wrong tokens (form or
// bearer) are throttled per address with 429 and Retry-After; the cookie is Secure
// when a trusted proxy says the client used https. Against the real Postgres.
import { errorReason } from "./support/errors.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readConfig } from "../lib/process/config.ts";
import { startWebServer } from "../main.ts";
import { testServices } from "./support/services.ts";
import { startTestDashboard } from "./support/dashboard.ts";

const sanitize = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "session-token-0123456789";

async function signIn(
  base: string,
  token: string,
  headers: Record<string, string> = {},
  next = "/dashboard",
): Promise<Response> {
  const response = await fetch(`${base}/login`, {
    method: "POST",
    headers,
    body: new URLSearchParams({ token, next }),
    redirect: "manual",
  });
  await response.body?.cancel();
  return response;
}

function cookieOf(response: Response): string {
  const cookie = response.headers.get("set-cookie");
  assert.ok(cookie, `no Set-Cookie on ${response.status}`);
  return cookie.split(";")[0];
}

async function statusOf(base: string, path: string, headers: Record<string, string>) {
  const response = await fetch(`${base}${path}`, { headers, redirect: "manual" });
  await response.body?.cancel();
  return response.status;
}

Deno.test({
  name:
    "each sign-in is a random server-side session; logout, revocation and a new token end sessions",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { token: TOKEN });
    const base = dash.web.url;
    const sql = dash.db.sql;

    const first = await signIn(base, TOKEN, { "user-agent": "session-test/1" });
    const second = await signIn(base, TOKEN, { "user-agent": "session-test/2" });
    assert.equal(first.status, 303);
    const setCookie = first.headers.get("set-cookie")!;
    assert.match(
      setCookie,
      /^dashboard_session=[A-Za-z0-9_-]{43}; Max-Age=604800; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    const a = cookieOf(first);
    const b = cookieOf(second);
    assert.notEqual(a, b, "a new random secret per sign-in");

    // Postgres holds the secrets' SHA-256 and who signed in, never the secret itself.
    const rows = await sql`
      select encode(secret_sha256, 'hex') as id, client_address, user_agent,
        expires_at - created_at as ttl
      from dashboard_sessions order by user_agent`;
    const digest = (cookie: string) =>
      createHash("sha256").update(cookie.split("=")[1]).digest("hex");
    assert.deepEqual(rows.map((r) => [r.id, r.client_address, r.user_agent]), [
      [digest(a), "127.0.0.1", "session-test/1"],
      [digest(b), "127.0.0.1", "session-test/2"],
    ]);
    const [{ stored }] = await sql`
      select count(*)::int8 as stored from dashboard_sessions
      where position(convert_to(${a.split("=")[1]}, 'UTF8') in secret_sha256) > 0`;
    assert.equal(stored, 0);
    assert.equal(await statusOf(base, "/api/summary", { cookie: a }), 200);
    assert.equal(await statusOf(base, "/api/summary", { cookie: b }), 200);
    // A proxy's Basic login in front does not hide the session (only Bearer is a token).
    const basic = { cookie: b, authorization: "Basic dXNlcjpwYXNz" };
    assert.equal(await statusOf(base, "/api/summary", basic), 200);
    // A cookie that looks right but was never issued is refused.
    const forged = `dashboard_session=${"A".repeat(43)}`;
    const refused = await fetch(`${base}/api/summary`, { headers: { cookie: forged } });
    assert.equal(refused.status, 401);
    assert.match(await errorReason(refused), /session ended/);

    // Logout from another site is refused; from ours it deletes the session at once.
    const crossSite = await fetch(`${base}/logout`, {
      method: "POST",
      headers: { cookie: a, "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      redirect: "manual",
    });
    assert.equal(crossSite.status, 403);
    assert.match(await errorReason(crossSite), /Cannot sign out from another site/);
    assert.equal(await statusOf(base, "/api/summary", { cookie: a }), 200);
    const logout = await fetch(`${base}/logout`, {
      method: "POST",
      headers: { cookie: a, origin: base, "sec-fetch-site": "same-origin" },
      redirect: "manual",
    });
    await logout.body?.cancel();
    assert.equal(logout.status, 303);
    assert.equal(logout.headers.get("location"), "/login");
    assert.match(logout.headers.get("set-cookie")!, /^dashboard_session=; .*Max-Age=0/);
    assert.equal(await statusOf(base, "/api/summary", { cookie: a }), 401);
    assert.equal(await statusOf(base, "/dashboard", { cookie: a, accept: "text/html" }), 303);
    assert.equal(await statusOf(base, "/api/summary", { cookie: b }), 200);
    assert.equal(await statusOf(base, "/logout", { cookie: b }), 405, "GET does not sign out");

    // A web server under another token refuses the sessions made under this one.
    const other = await startWebServer({
      config: {
        ...readConfig({}),
        port: 0,
        kafkaTopic: dash.topic.topic,
        dashboardToken: "another-token-9876543210",
      },
      databaseUrl: dash.db.url,
      kafkaBrokers,
    });
    try {
      assert.equal(await statusOf(other.url, "/api/summary", { cookie: b }), 401);
    } finally {
      await other.close();
    }
    assert.equal(await statusOf(base, "/api/summary", { cookie: b }), 200);

    // `deno task sessions` lists them; `--revoke` ends every session, in every process.
    const task = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", "sessions", ...args],
        cwd: new URL("../", import.meta.url).pathname,
        env: {
          DATABASE_URL: dash.db.url,
          KAFKA_BROKERS: kafkaBrokers.join(","),
          KAFKA_TOPIC: dash.topic.topic,
          DASHBOARD_TOKEN: TOKEN,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const listed = await task([]);
    const listing = new TextDecoder().decode(listed.stdout);
    assert.equal(listed.code, 0, new TextDecoder().decode(listed.stderr));
    assert.match(listing, /^1 live dashboard session\n/);
    assert.match(listing, /127\.0\.0\.1 {2}current token {2}"session-test\/2"/);
    const revoked = await task(["--revoke"]);
    assert.equal(revoked.code, 0, new TextDecoder().decode(revoked.stderr));
    assert.equal(new TextDecoder().decode(revoked.stdout), "Revoked 1 dashboard session\n");
    const [{ left }] = await sql`select count(*)::int8 as left from dashboard_sessions`;
    assert.equal(left, 0);
    // This process trusts a session it found for up to 5 s; after that, it is gone.
    const deadline = Date.now() + 20_000;
    while (await statusOf(base, "/api/summary", { cookie: b }) !== 401) {
      assert.ok(Date.now() < deadline, "the revoked session still works after 20 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  },
});

Deno.test({
  name: "next only ever leads to a path on this site; control characters are a 400, never a 500",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { token: TOKEN });
    const base = dash.web.url;
    // The form keeps a same-site next, and the sign-in returns there.
    const form =
      await (await fetch(`${base}/login?next=${encodeURIComponent("/dashboard?range=all#f")}`))
        .text();
    assert.match(form, /name="next" value="\/dashboard\?range=all#f"/);
    for (
      const [next, location] of [
        ["/dashboard?range=all#f", "/dashboard?range=all#f"],
        ["//evil.example/x", "/dashboard"],
        ["https://evil.example/x", "/dashboard"],
        ["/\\evil.example/x", "/dashboard"],
        ["http://evil.example@127.0.0.1/", "/dashboard"],
        ["javascript:alert(1)", "/dashboard"],
      ]
    ) {
      const response = await signIn(base, TOKEN, {}, next);
      assert.equal(response.status, 303, next);
      assert.equal(response.headers.get("location"), location, next);
    }
    // What browsers strip (tab, CR, LF) and other control characters: refused, with why.
    for (
      const next of [
        "/%09/evil.example/x",
        "/%0d%0aSet-Cookie:%20x=1",
        "/x%00",
        "%0a//evil.example",
      ]
    ) {
      const page = await fetch(`${base}/login?next=${next}`, { redirect: "manual" });
      assert.equal(page.status, 400, next);
      assert.match(
        await errorReason(page),
        /^Cannot use next ".*": it has control characters$/,
        next,
      );
      const posted = await fetch(`${base}/login`, {
        method: "POST",
        body: `token=${TOKEN}&next=${next}`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        redirect: "manual",
      });
      assert.equal(posted.status, 400, next);
      assert.equal(posted.headers.get("location"), null);
      assert.equal(posted.headers.get("set-cookie"), null);
      await posted.body?.cancel();
    }
    // The redirect to the sign-in form carries the page the visitor wanted.
    const page = await fetch(`${base}/%64ashboard?range=7d`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    assert.equal(page.status, 303);
    assert.equal(
      page.headers.get("location"),
      `/login?next=${encodeURIComponent("/%64ashboard?range=7d")}`,
    );
    await page.body?.cancel();
    // Only a form: other content types and oversized forms are refused with the reason.
    const json = await fetch(`${base}/login`, {
      method: "POST",
      body: JSON.stringify({ token: TOKEN }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(json.status, 415);
    assert.match(await errorReason(json), /send application\/x-www-form-urlencoded/);
    const big = await fetch(`${base}/login`, {
      method: "POST",
      body: new URLSearchParams({ token: TOKEN, pad: "x".repeat(8 * 1024) }),
    });
    assert.equal(big.status, 413);
    assert.match(
      await errorReason(big),
      /Cannot read the sign-in form: body larger than 4096 bytes/,
    );
  },
});

Deno.test({
  name:
    "without DASHBOARD_TOKEN /login sends the visitor on, to a same-site next only; a bad next is a 400",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers);
    const base = dash.web.url;
    for (
      const [query, location] of [
        ["next=/dashboard%3Frange%3Dall", "/dashboard?range=all"],
        ["next=//evil.example/", "/dashboard"],
        ["", "/dashboard"],
      ]
    ) {
      const response = await fetch(`${base}/login?${query}`, { redirect: "manual" });
      assert.equal(response.status, 303, query);
      assert.equal(response.headers.get("location"), location, query);
      await response.body?.cancel();
    }
    const bad = await fetch(`${base}/login?next=/%0d%0a`, { redirect: "manual" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  },
});

Deno.test({
  name: "wrong tokens are throttled per address with 429 and Retry-After, by form and bearer alike",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    // Behind a trusted proxy (loopback) the address is the one X-Forwarded-For names.
    await using dash = await startTestDashboard(kafkaBrokers, {
      token: TOKEN,
      trustProxy: ["loopback"],
    });
    const base = dash.web.url;
    const from = (address: string) => ({ "x-forwarded-for": address });
    // Ten wrong tries are answered as wrong: a person mistyping is never held up.
    for (let i = 0; i < 10; i++) {
      const wrong = await signIn(base, `guess-${i}`, from("203.0.113.7"));
      assert.equal(wrong.status, 401, `try ${i + 1}`);
    }
    // Then the address waits, and meanwhile even the right token is not compared.
    const held = await fetch(`${base}/login`, {
      method: "POST",
      headers: from("203.0.113.7"),
      body: new URLSearchParams({ token: TOKEN, next: "/dashboard" }),
      redirect: "manual",
    });
    assert.equal(held.status, 429);
    assert.equal(held.headers.get("set-cookie"), null);
    const wait = Number(held.headers.get("retry-after"));
    assert.ok(wait >= 1 && wait <= 6, `Retry-After ${wait}`);
    // The form again, with the reason (a sign-in refused is the form to retry, not an error page).
    assert.match(
      await held.text(),
      /Too many wrong tokens from this address: try again in \d+ s/,
    );
    const bearer = await fetch(`${base}/api/summary`, {
      headers: { ...from("203.0.113.7"), authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(bearer.status, 429);
    assert.ok(Number(bearer.headers.get("retry-after")) >= 1);
    await bearer.body?.cancel();
    // Wrong bearer tokens draw on the same budget.
    for (let i = 0; i < 10; i++) {
      assert.equal(
        await statusOf(base, "/api/summary", {
          ...from("203.0.113.8"),
          authorization: `Bearer guess-${i}`,
        }),
        401,
      );
    }
    assert.equal((await signIn(base, TOKEN, from("203.0.113.8"))).status, 429);
    // Another address is not affected, and a session's requests are never counted.
    const other = await signIn(base, TOKEN, from("198.51.100.1"));
    assert.equal(other.status, 303);
    assert.equal(await statusOf(base, "/api/summary", { cookie: cookieOf(other) }), 200);
  },
});

Deno.test({
  name:
    "the session cookie is Secure when the client used https, as a trusted proxy says, and only then",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    const https = { "x-forwarded-proto": "https" };
    await using trusting = await startTestDashboard(kafkaBrokers, {
      token: TOKEN,
      trustProxy: ["loopback"],
    });
    const behindProxy = await signIn(trusting.web.url, TOKEN, https);
    assert.match(behindProxy.headers.get("set-cookie")!, /; HttpOnly; Secure; SameSite=Strict$/);
    const plain = await signIn(trusting.web.url, TOKEN);
    assert.doesNotMatch(plain.headers.get("set-cookie")!, /Secure/);
    // Without TRUST_PROXY the header is the client's word, and not believed.
    await using direct = await startTestDashboard(kafkaBrokers, { token: TOKEN });
    const claimed = await signIn(direct.web.url, TOKEN, https);
    assert.doesNotMatch(claimed.headers.get("set-cookie")!, /Secure/);
    const logout = await fetch(`${trusting.web.url}/logout`, {
      method: "POST",
      headers: { ...https, cookie: cookieOf(behindProxy) },
      redirect: "manual",
    });
    await logout.body?.cancel();
    assert.match(
      logout.headers.get("set-cookie")!,
      /Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
  },
});
