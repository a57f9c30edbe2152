// Issue 10, finding 8 (headers, /healthz): every response carries a CSP whose only
// script is the island bundle (by a per-response nonce), frame-ancestors 'none',
// X-Frame-Options DENY, nosniff and a Referrer-Policy; Chromium enforces it on the
// dashboard (islands, uPlot, the live socket all work, an injected script is blocked);
// /healthz tells the public only its status and the token holder the details, asking
// Kafka through one long-lived admin connection.
import assert from "node:assert/strict";
import { launchBrowser, watchCsp } from "./support/browser.ts";
import { testServices } from "./support/services.ts";
import { makeEvent, seed, startTestDashboard } from "./support/dashboard.ts";

const sanitize = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "headers-token-0123456789";

function assertSecurityHeaders(response: Response, what: string): string {
  const csp = response.headers.get("content-security-policy") ?? "";
  for (
    const directive of [
      "default-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
    ]
  ) {
    assert.ok(csp.includes(directive), `${what}: ${directive} in ${csp}`);
  }
  const nonce = /(?:^|; )script-src 'nonce-([A-Za-z0-9+/=]{20,})'(?:;|$)/.exec(csp)?.[1];
  assert.ok(nonce, `${what}: script-src is the nonce alone: ${csp}`);
  assert.equal(response.headers.get("x-frame-options"), "DENY", what);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(response.headers.get("referrer-policy"), "same-origin", what);
  return nonce;
}

Deno.test({
  name:
    "every response has the CSP, frame, sniffing and referrer headers; pages run only the nonced bundle",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { token: TOKEN });
    const base = dash.web.url;
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const nonces = new Set<string>();
    for (
      const [path, headers, status] of [
        ["/", {}, 200],
        ["/dashboard", bearer, 200],
        ["/dashboard", { accept: "text/html" }, 303],
        ["/api/summary", {}, 401],
        ["/api/summary", bearer, 200],
        ["/api/export.csv", bearer, 200],
        ["/login", {}, 200],
        ["/login?next=%0a", {}, 400],
        ["/healthz", {}, 200],
        ["/styles.css", {}, 200],
        ["/nowhere", {}, 404],
      ] as const
    ) {
      const response = await fetch(`${base}${path}`, { headers, redirect: "manual" });
      const body = await response.text();
      assert.equal(response.status, status, `${path}: ${body.slice(0, 200)}`);
      const nonce = assertSecurityHeaders(response, path);
      nonces.add(nonce);
      if (!/text\/html/.test(response.headers.get("content-type") ?? "")) continue;
      // The only executable script is the bundle, carrying this response's nonce; the
      // island props are a JSON data block; no inline handlers anywhere.
      for (const tag of body.match(/<script\b[^>]*>/g) ?? []) {
        assert.ok(
          tag === `<script type="application/json" id="__island_props">` ||
            new RegExp(
              `^<script type="module" nonce="${
                nonce.replace(/[+/]/g, "\\$&")
              }" src="/_islands/islands-[0-9a-f]+\\.js">$`,
            ).test(tag),
          `${path}: ${tag}`,
        );
      }
      assert.doesNotMatch(body, /\son[a-z]+=/i, `${path}: no inline event handler`);
    }
    assert.equal(nonces.size, 11, "a fresh nonce per response");
    // The bundle itself is served with the same headers.
    const html = await (await fetch(`${base}/`)).text();
    const bundle = await fetch(`${base}${/src="(\/_islands\/[^"]+)"/.exec(html)![1]}`);
    await bundle.body?.cancel();
    assert.equal(bundle.status, 200);
    assertSecurityHeaders(bundle, "bundle");
  },
});

Deno.test({
  name:
    "under its CSP the dashboard hydrates, draws uPlot charts, goes live and explores; an injected script is blocked",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { token: TOKEN });
    await seed(dash.db.sql, [
      makeEvent({ title: "banner_show", product: "sneakers" }),
      makeEvent({ title: "banner_click", product: "sneakers" }),
      makeEvent({ title: "order", product: "sneakers", target: 1 }),
    ]);
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    const violations = await watchCsp(page);
    // Signing in through the form, as a person would.
    await page.goto(`${dash.web.url}/dashboard?range=7d`);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/dashboard\?range=7d$/);
    await page.waitForSelector("html[data-hydrated=true]");
    await page.waitForSelector('[data-testid="orders-chart"] .uplot canvas');
    await page.waitForSelector('[data-testid="live-status"][data-state="live"]');
    assert.equal(await page.textContent('[data-testid="kpi-orders"]'), "1");
    // The explore panel fetches /api/explore from the page.
    const explored = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/explore");
    await page.click('[data-testid="explore"] summary');
    assert.equal((await explored).status(), 200);
    await page.waitForSelector('[data-testid="explore-total"]');
    assert.deepEqual(violations, [], "no CSP violation while the dashboard works");
    assert.deepEqual(problems, []);

    // The policy is enforced, not just sent: a script without the nonce does not run.
    const ran = await page.evaluate(async () => {
      const script = document.createElement("script");
      script.textContent = "window.__injected = true";
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (window as { __injected?: boolean }).__injected ?? false;
    });
    assert.equal(ran, false);
    assert.ok(violations.some((v) => /script-src/.test(v)), JSON.stringify(violations));
    // Sign out from the page ends the session.
    await page.click('[data-testid="sign-out"]');
    await page.waitForURL(/\/login$/);
    const after = await page.goto(`${dash.web.url}/api/summary`);
    assert.equal(after?.status(), 401);
  },
});

Deno.test({
  name:
    "/healthz tells the public only its status; the token (bearer or session) shows the details via one admin connection",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { token: TOKEN });
    const base = dash.web.url;
    const get = async (headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}/healthz`, { headers });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("cache-control"), "no-store");
      return await response.json();
    };
    assert.deepEqual(await get(), { ok: true });
    assert.deepEqual(await get({ authorization: "Bearer wrong" }), { ok: true });
    assert.deepEqual(await get({ cookie: `dashboard_session=${"x".repeat(43)}` }), { ok: true });

    const login = await fetch(`${base}/login`, {
      method: "POST",
      body: new URLSearchParams({ token: TOKEN }),
      redirect: "manual",
    });
    await login.body?.cancel();
    const session = login.headers.get("set-cookie")!.split(";")[0];
    const credentials: Record<string, string>[] = [
      { authorization: `Bearer ${TOKEN}` },
      { cookie: session },
    ];
    for (const headers of credentials) {
      const details = await get(headers);
      assert.deepEqual(Object.keys(details), [
        "ok",
        "database",
        "kafka",
        "producer",
        "shop",
        "uptimeSeconds",
        "ingest",
      ]);
      assert.equal(details.database, true);
      assert.equal(details.kafka, true);
      assert.equal(typeof details.producer.queued, "number");
      assert.equal(details.ingest.lag.partitions.length, 6);
    }
    for (let i = 0; i < 10; i++) await get({ authorization: `Bearer ${TOKEN}` });
    // One admin connection for all those probes and lag reads, not one per request.
    assert.equal(dash.web.state.kafka.connects, 1);

    // Without a token configured the details are as open as the dashboard.
    await using open = await startTestDashboard(kafkaBrokers);
    const details = await (await fetch(`${open.web.url}/healthz`)).json();
    assert.equal(details.ok, true);
    assert.ok("ingest" in details && "producer" in details);
  },
});
