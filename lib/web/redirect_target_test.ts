import assert from "node:assert/strict";
import { sameOriginPath } from "./redirect_target.ts";

const base = new URL("http://shop.example:8000/login?next=x");

Deno.test("next keeps a same-origin path with its query and fragment", () => {
  for (
    const [value, expected] of [
      ["/dashboard?range=all", "/dashboard?range=all"],
      ["/dashboard#orders", "/dashboard#orders"],
      ["/api/../dashboard", "/dashboard"],
      ["dashboard", "/dashboard"],
      ["http://shop.example:8000/dashboard?x=1", "/dashboard?x=1"],
      ["/%64ashboard", "/%64ashboard"],
      [null, "/dashboard"],
      ["", "/dashboard"],
    ] as const
  ) {
    assert.deepEqual(sameOriginPath(value, base, "/dashboard"), { ok: true, value: expected });
  }
});

Deno.test("next never leads off the site, whatever the URL parser strips or rewrites", () => {
  for (
    const value of [
      "//evil.example/x",
      "/\\evil.example/x",
      "\\\\evil.example",
      "https://evil.example/",
      "http://shop.example:8001/",
      "https://shop.example:8000/",
      "javascript:alert(1)",
      "data:text/html,hi",
      "///evil.example",
    ]
  ) {
    const result = sameOriginPath(value, base, "/dashboard");
    // The default target, or refused: never the other site.
    assert.ok(!result.ok || result.value === "/dashboard", `${value}: ${JSON.stringify(result)}`);
  }
});

Deno.test("next with control characters, absurd length or no URL is refused with the reason", () => {
  for (const value of ["/\t/evil.example/x", "/dashboard\r\nSet-Cookie: a=b", "/\u0000", "/\x7f"]) {
    const result = sameOriginPath(value, base, "/dashboard");
    assert.equal(result.ok, false, value);
    assert.match(
      !result.ok ? result.reason : "",
      /^Cannot use next ".*": it has control characters$/,
    );
  }
  const long = sameOriginPath(`/${"a".repeat(3000)}`, base, "/dashboard");
  assert.ok(!long.ok && /longer than 2048/.test(long.reason));
  const broken = sameOriginPath("http://[::1", base, "/dashboard");
  assert.ok(!broken.ok && /not a URL/.test(broken.reason));
});
