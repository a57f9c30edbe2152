import assert from "node:assert/strict";
import { isClosedSocketWrite } from "./guard.ts";

Deno.test("isClosedSocketWrite matches only postgres.js's closed-socket write", () => {
  const error = new TypeError("Cannot read properties of null (reading 'write')");
  error.stack = `${error.message}\n    at nextWrite (file:///x/node_modules/.deno/postgres@3.4.9/` +
    `node_modules/postgres/src/connection.js:255:22)`;
  assert.ok(isClosedSocketWrite(error));
  const elsewhere = new TypeError(error.message);
  elsewhere.stack = `${error.message}\n    at mine (file:///x/lib/thing.ts:1:1)`;
  assert.ok(!isClosedSocketWrite(elsewhere));
  assert.ok(!isClosedSocketWrite(new Error("other")));
});
