import assert from "node:assert/strict";
import { routePattern, sortRoutes } from "./route_pattern.ts";

Deno.test("route files map to URL patterns", () => {
  const cases: [string, string | undefined][] = [
    ["index.tsx", "/"],
    ["dashboard.tsx", "/dashboard"],
    ["dashboard/index.tsx", "/dashboard"],
    ["product/[category].tsx", "/product/:category"],
    ["api/collect.ts", "/api/collect"],
    ["order/[id].tsx", "/order/:id"],
    ["files/[...path].ts", "/files/:path{.+}"],
    ["(shop)/cart.tsx", "/cart"],
    ["_app.tsx", undefined],
    ["_404.tsx", undefined],
    ["_components/x.tsx", undefined],
    ["index_test.ts", undefined],
    ["README.md", undefined],
  ];
  for (const [file, pattern] of cases) assert.equal(routePattern(file)?.pattern, pattern, file);
});

Deno.test("a parameter inside a segment is rejected with the file named", () => {
  assert.throws(() => routePattern("product/item-[id].tsx"), /item-\[id\]\.tsx/);
});

Deno.test("static segments sort before parameters, parameters before rest", () => {
  const files = [
    "[...path].ts",
    "product/[category].tsx",
    "product/new.tsx",
    "[slug].tsx",
    "index.tsx",
  ];
  const sorted = sortRoutes(files.map((f) => routePattern(f)!)).map((r) => r.pattern);
  assert.deepEqual(sorted, ["/product/new", "/product/:category", "/:slug", "/:path{.+}", "/"]);
});
