import assert from "node:assert/strict";
import { clientAddress, compileTrust, isSecureRequest } from "./client_address.ts";

const headers = (entries: Record<string, string>) => new Headers(entries);

Deno.test("the client's address is the peer unless the peer is a trusted proxy", () => {
  const none = compileTrust([]);
  const loopback = compileTrust(["loopback"]);
  const forwarded = headers({ "x-forwarded-for": "203.0.113.9, 10.0.0.7" });
  assert.equal(clientAddress({ peer: "198.51.100.1", headers: forwarded }, none), "198.51.100.1");
  assert.equal(clientAddress({ peer: "127.0.0.1", headers: forwarded }, none), "127.0.0.1");
  // One trusted hop: the next address in the list is the client, whatever came before it.
  assert.equal(clientAddress({ peer: "127.0.0.1", headers: forwarded }, loopback), "10.0.0.7");
  const chain = compileTrust(["loopback", "10.0.0.0/8"]);
  assert.equal(clientAddress({ peer: "127.0.0.1", headers: forwarded }, chain), "203.0.113.9");
  // An untrusted peer cannot choose its address by sending the header.
  assert.equal(clientAddress({ peer: "198.51.100.1", headers: forwarded }, chain), "198.51.100.1");
  assert.equal(clientAddress({ headers: headers({}) }, chain), "127.0.0.1");
});

Deno.test("a request is secure over https or when a trusted proxy says so", () => {
  const loopback = compileTrust(["loopback"]);
  const http = new URL("http://shop.example/");
  const proto = headers({ "x-forwarded-proto": "https" });
  assert.ok(
    isSecureRequest({ url: new URL("https://shop.example/"), headers: headers({}) }, loopback),
  );
  assert.ok(isSecureRequest({ url: http, peer: "127.0.0.1", headers: proto }, loopback));
  assert.ok(!isSecureRequest({ url: http, peer: "198.51.100.1", headers: proto }, loopback));
  assert.ok(!isSecureRequest({ url: http, peer: "127.0.0.1", headers: proto }, compileTrust([])));
  assert.ok(!isSecureRequest({ url: http, peer: "127.0.0.1", headers: headers({}) }, loopback));
});

Deno.test("trust entries that are no address or range are refused", () => {
  assert.throws(() => compileTrust(["nonsense"]), /invalid IP address: nonsense/);
});
