import assert from "node:assert/strict";
import { ConfigError, CONNECTION_DEFAULTS, loadConfig } from "./config.ts";

Deno.test("config applies the documented defaults", () => {
  const config = loadConfig({});
  assert.deepEqual(config.kafkaTopic, "ecommerce");
  assert.deepEqual(config.port, 8000);
  assert.deepEqual(config.hostname, "127.0.0.1");
  assert.deepEqual(config.analyticsTz, "UTC");
  assert.deepEqual(config.databaseUrl, undefined);
  assert.deepEqual(config.kafkaBrokers, undefined);
  assert.deepEqual(config.dashboardToken, undefined);
  assert.deepEqual(config.trustProxy, []);
  assert.deepEqual(config.connections, CONNECTION_DEFAULTS);
  assert.equal(config.connections.headerTimeoutMs, 10_000);
});

Deno.test("config reads the connection limits", () => {
  const config = loadConfig({ HTTP_HEADER_TIMEOUT_MS: "500", WS_MAX_MESSAGE_BYTES: "8192" });
  assert.equal(config.connections.headerTimeoutMs, 500);
  assert.equal(config.connections.maxWebSocketMessageBytes, 8192);
  assert.equal(config.connections.maxConnections, CONNECTION_DEFAULTS.maxConnections);
});

Deno.test("config reads TRUST_PROXY as a list of addresses and ranges", () => {
  const config = loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8" });
  assert.deepEqual(config.trustProxy, ["loopback", "10.0.0.0/8"]);
});

Deno.test("config splits KAFKA_BROKERS on commas", () => {
  const config = loadConfig({ KAFKA_BROKERS: "a:9092, b:9093" });
  assert.deepEqual(config.kafkaBrokers, ["a:9092", "b:9093"]);
});

for (
  const [variable, value, fragment] of [
    ["PORT", "http", 'got "http"'],
    ["PORT", "70000", "0 to 65535"],
    ["DATABASE_URL", "mysql://x/y", "expected postgres://"],
    ["DATABASE_URL", "postgres://localhost", "no database name"],
    ["DATABASE_URL", "not a url", "not a URL"],
    ["KAFKA_BROKERS", "localhost", 'got "localhost"'],
    ["KAFKA_TOPIC", "bad topic", "bad topic"],
    ["ANALYTICS_TZ", "Mars/Olympus", "unknown time zone"],
    ["TRUST_PROXY", "loopback, proxy.internal", "proxy.internal"],
    ["HTTP_MAX_CONNECTIONS", "0", 'from 1 to 1000000, got "0"'],
    ["HTTP_MAX_CONNECTIONS_PER_ADDRESS", "many", 'got "many"'],
    ["HTTP_HEADER_TIMEOUT_MS", "1.5", 'got "1.5"'],
    ["HTTP_IDLE_TIMEOUT_MS", "-5", 'got "-5"'],
    ["HTTP_MAX_HEADER_BYTES", "100", "from 1024 to"],
    ["WS_MAX_MESSAGE_BYTES", "100000000", "to 67108864"],
    ["LIVE_MAX_SOCKETS", "10abc", 'got "10abc"'],
    ["LIVE_MAX_SOCKETS_PER_ADDRESS", "1e3", 'got "1e3"'],
  ]
) {
  Deno.test(`config rejects ${variable}=${value} naming the variable`, () => {
    assert.throws(() => loadConfig({ [variable]: value }), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, variable);
      assert.match(error.message, new RegExp(`^Invalid ${variable}: `));
      assert.ok(error.message.includes(fragment), error.message);
      return true;
    });
  });
}
