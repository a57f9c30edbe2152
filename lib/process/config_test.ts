import assert from "node:assert/strict";
import { ConfigError, CONNECTION_DEFAULTS, readConfig } from "./config.ts";
import { DEFAULT_ADDRESS_LIMITS, DEFAULT_VISITOR_LIMITS } from "../shop/limits.ts";

Deno.test("config applies the documented defaults", () => {
  const config = readConfig({});
  assert.deepEqual(config.kafkaTopic, "ecommerce");
  assert.deepEqual(config.port, 8000);
  assert.deepEqual(config.hostname, "127.0.0.1");
  assert.deepEqual(config.analyticsTz, "UTC");
  assert.deepEqual(config.databaseUrl, undefined);
  assert.deepEqual(config.kafkaBrokers, undefined);
  assert.deepEqual(config.dashboardToken, undefined);
  assert.deepEqual(config.trustProxy, []);
  assert.deepEqual(config.maxBodyBytes, 16384);
  assert.deepEqual(config.maxFutureMs, 86_400_000);
  assert.deepEqual(config.connections, CONNECTION_DEFAULTS);
  assert.equal(config.connections.headerTimeoutMs, 10_000);
});

Deno.test("config reads ANALYTICS_RETENTION as forever (the default) or days or weeks", () => {
  const ms = (value?: string) => readConfig({ ANALYTICS_RETENTION: value }).retentionMs;
  assert.equal(ms(), undefined);
  assert.equal(ms("forever"), undefined);
  assert.equal(ms("Forever"), undefined);
  assert.equal(ms("400d"), 400 * 86_400_000);
  assert.equal(ms("13w"), 91 * 86_400_000);
  assert.equal(ms("36500d"), 36_500 * 86_400_000);
});

Deno.test("config reads ANALYTICS_MAX_FUTURE as a duration in days, hours, minutes or seconds", () => {
  const ms = (value: string) => readConfig({ ANALYTICS_MAX_FUTURE: value }).maxFutureMs;
  assert.equal(ms("1d"), 86_400_000);
  assert.equal(ms("6h"), 6 * 3_600_000);
  assert.equal(ms("90m"), 90 * 60_000);
  assert.equal(ms("30s"), 30_000);
  assert.equal(ms("0m"), 0);
  assert.equal(ms(" 2 d "), 2 * 86_400_000);
  assert.equal(ms("3650d"), 3650 * 86_400_000);
});

Deno.test("config reads INGEST_SESSION_TIMEOUT in milliseconds, unset by default", () => {
  assert.equal(readConfig({}).ingestSessionTimeoutMs, undefined);
  assert.equal(readConfig({ INGEST_SESSION_TIMEOUT: "3000" }).ingestSessionTimeoutMs, 3_000);
});

Deno.test("config reads the shop spool's directory and bound, 64 MiB by default", () => {
  assert.deepEqual(readConfig({}).shopSpool, { dir: undefined, maxBytes: 64 * 1024 * 1024 });
  assert.deepEqual(
    readConfig({ SHOP_SPOOL_DIR: "/var/spool/shop", SHOP_SPOOL_MAX_BYTES: "1048576" }).shopSpool,
    { dir: "/var/spool/shop", maxBytes: 1_048_576 },
  );
});

Deno.test("config reads the connection limits", () => {
  const config = readConfig({ HTTP_HEADER_TIMEOUT_MS: "500", WS_MAX_MESSAGE_BYTES: "8192" });
  assert.equal(config.connections.headerTimeoutMs, 500);
  assert.equal(config.connections.maxWebSocketMessageBytes, 8192);
  assert.equal(config.connections.maxConnections, CONNECTION_DEFAULTS.maxConnections);
});

Deno.test("config reads TRUST_PROXY as a list of addresses and ranges", () => {
  const config = readConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8" });
  assert.deepEqual(config.trustProxy, ["loopback", "10.0.0.0/8"]);
});

Deno.test("config splits KAFKA_BROKERS on commas", () => {
  const config = readConfig({ KAFKA_BROKERS: "a:9092, b:9093" });
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
    ["MAX_BODY_BYTES", "16k", 'got "16k"'],
    ["MAX_BODY_BYTES", "100", "from 1024 to 1048576"],
    ["INGEST_SESSION_TIMEOUT", "500", 'from 1000 to 1800000, got "500"'],
    ["INGEST_SESSION_TIMEOUT", "3s", 'got "3s"'],
    ["HTTP_MAX_CONNECTIONS", "0", 'from 1 to 1000000, got "0"'],
    ["HTTP_MAX_CONNECTIONS_PER_ADDRESS", "many", 'got "many"'],
    ["HTTP_HEADER_TIMEOUT_MS", "1.5", 'got "1.5"'],
    ["HTTP_IDLE_TIMEOUT_MS", "-5", 'got "-5"'],
    ["HTTP_MAX_HEADER_BYTES", "100", "from 1024 to"],
    ["WS_MAX_MESSAGE_BYTES", "100000000", "to 67108864"],
    ["LIVE_MAX_SOCKETS", "10abc", 'got "10abc"'],
    ["LIVE_MAX_SOCKETS_PER_ADDRESS", "1e3", 'got "1e3"'],
    ["SHOP_SPOOL_MAX_BYTES", "64MiB", 'got "64MiB"'],
    ["SHOP_SPOOL_MAX_BYTES", "1000", 'from 65536 to 1099511627776, got "1000"'],
  ]
) {
  Deno.test(`config rejects ${variable}=${value} naming the variable`, () => {
    assert.throws(() => readConfig({ [variable]: value }), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, variable);
      assert.match(error.message, new RegExp(`^Invalid ${variable}: `));
      assert.ok(error.message.includes(fragment), error.message);
      return true;
    });
  });
}

Deno.test("config reads the shop's limits, keeping the defaults for actions not named", () => {
  const defaults = readConfig({}).shopLimits;
  assert.deepEqual(defaults.visitor, DEFAULT_VISITOR_LIMITS);
  assert.deepEqual(defaults.address, DEFAULT_ADDRESS_LIMITS);
  assert.equal(defaults.maxKeys, 20_000);
  const config = readConfig({
    SHOP_VISITOR_LIMITS: "click=5/min",
    SHOP_ADDRESS_LIMITS: "order=20/h, show=1000/10min",
    SHOP_LIMIT_KEYS: "2000",
  }).shopLimits;
  assert.deepEqual(config.visitor, {
    ...DEFAULT_VISITOR_LIMITS,
    click: { count: 5, periodMs: 60_000 },
  });
  assert.deepEqual(config.address, {
    ...DEFAULT_ADDRESS_LIMITS,
    order: { count: 20, periodMs: 3_600_000 },
    show: { count: 1000, periodMs: 600_000 },
  });
  assert.equal(config.maxKeys, 2000);
});

for (
  const [variable, value, fragment] of [
    ["SHOP_VISITOR_LIMITS", "clicks=5/min", 'got "clicks=5/min"'],
    ["SHOP_ADDRESS_LIMITS", "order=0/h", 'got "0/h"'],
    ["SHOP_LIMIT_KEYS", "10", 'from 100 to 10000000, got "10"'],
    ["ANALYTICS_MAX_FUTURE", "1 day", 'like "1d"'],
    ["ANALYTICS_MAX_FUTURE", "86400000", 'got "86400000"'],
    ["ANALYTICS_MAX_FUTURE", "-1h", 'got "-1h"'],
    ["ANALYTICS_MAX_FUTURE", "1.5h", 'got "1.5h"'],
    ["ANALYTICS_MAX_FUTURE", "3651d", "up to 3650d"],
    ["ANALYTICS_RETENTION", "0d", 'from 1d to 36500d, got "0d"'],
    ["ANALYTICS_RETENTION", "36501d", 'got "36501d"'],
    ["ANALYTICS_RETENTION", "12mo", 'like "400d"'],
    ["ANALYTICS_RETENTION", "never", 'expected "forever"'],
  ]
) {
  Deno.test(`config rejects ${variable}=${value} naming the variable`, () => {
    assert.throws(() => readConfig({ [variable]: value }), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, variable);
      assert.match(error.message, new RegExp(`^Invalid ${variable}: `));
      assert.ok(error.message.includes(fragment), error.message);
      return true;
    });
  });
}
