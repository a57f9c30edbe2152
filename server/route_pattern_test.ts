import assert from "node:assert/strict";
import { isMiddlewareFile, middlewareFor, routePattern, sortRoutes } from "./route_pattern.ts";

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
    ["_middleware.ts", undefined],
    ["(dashboard)/_middleware.ts", undefined],
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

Deno.test("a route is wrapped by the _middleware of every folder above it, outermost first", () => {
  const files = [
    "_middleware.ts",
    "(dashboard)/_middleware.ts",
    "(dashboard)/api/_middleware.tsx",
    "(dashboard)/api/summary.ts",
    "(dashboard)/dashboard.tsx",
    "(shop)/index.tsx",
    "(shop)/api/_middleware.ts",
    "(dash)/_middleware.ts",
    "login.tsx",
  ];
  assert.deepEqual(middlewareFor("(dashboard)/api/summary.ts", files), [
    "_middleware.ts",
    "(dashboard)/_middleware.ts",
    "(dashboard)/api/_middleware.tsx",
  ]);
  assert.deepEqual(middlewareFor("(dashboard)/dashboard.tsx", files), [
    "_middleware.ts",
    "(dashboard)/_middleware.ts",
  ]);
  // A folder whose name starts like another's is not above it.
  assert.deepEqual(middlewareFor("(shop)/index.tsx", files), ["_middleware.ts"]);
  assert.deepEqual(middlewareFor("login.tsx", files), ["_middleware.ts"]);
  assert.ok(isMiddlewareFile("a/b/_middleware.ts"));
  assert.ok(!isMiddlewareFile("a/b/my_middleware.ts"));
  assert.ok(!isMiddlewareFile("a/_middleware_test.ts"));
});
