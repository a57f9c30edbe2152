import assert from "node:assert/strict";
import postgres from "postgres";
import { ensureServices, parseBrokerCount, stopServices } from "./mod.ts";
import { kafkaAnswers, kafkaDataDir } from "./kafka_local.ts";
import { postgresDataDir } from "./postgres_local.ts";
import { freePort, freePortPair, isListening } from "./net.ts";
import { testServices } from "../../tests/support/services.ts";

Deno.test({
  name: "services attach to what already listens and start nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const running = await testServices();
    const pgPort = Number(new URL(running.databaseUrl).port || 5432);
    const kafkaPort = Number(running.kafkaBrokers[0].split(":")[1]);
    const services = await ensureServices({ postgresPort: pgPort, kafkaPort, noDocker: true });
    assert.deepEqual(services.started, {});
    assert.equal(services.kafkaBrokers[0], `127.0.0.1:${kafkaPort}`);
    assert.match(services.databaseUrl, new RegExp(`@127\\.0\\.0\\.1:${pgPort}/ecommerce$`));
  },
});

Deno.test({
  name: "services bring up a private Postgres and Kafka when nothing listens, and stop them",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const pgPort = freePort();
    const kafkaPort = await freePortPair();
    const services = await ensureServices({ postgresPort: pgPort, kafkaPort, noDocker: true });
    try {
      assert.ok(services.started.postgres, "Postgres was started");
      assert.ok(services.started.kafka, "Kafka was started");
      assert.equal(services.kafkaBrokers[0], `127.0.0.1:${kafkaPort}`);
      assert.ok(await kafkaAnswers(services.kafkaBrokers));
      const sql = postgres(services.databaseUrl.replace(/\/ecommerce$/, "/postgres"), { max: 1 });
      const [row] = await sql`select current_setting('port') as port`;
      await sql.end();
      assert.equal(row.port, String(pgPort));
    } finally {
      await stopServices(services.started);
    }
    assert.equal(await isListening("127.0.0.1", kafkaPort), false);
    assert.equal(await isListening("127.0.0.1", pgPort), false);
    await Deno.remove(kafkaDataDir(kafkaPort), { recursive: true });
    await Deno.remove(postgresDataDir(pgPort), { recursive: true });
    await Deno.remove(`${postgresDataDir(pgPort)}.log`);
  },
});

Deno.test("services fail with one message that says what to install", async () => {
  const path = Deno.env.get("PATH")!;
  Deno.env.set("PATH", "/nonexistent");
  try {
    await assert.rejects(
      ensureServices({
        databaseUrl: "postgres://x@127.0.0.1:1/x",
        kafkaPort: await freePortPair(),
        noDocker: true,
      }),
      /Cannot find or start Kafka \(Java 17\+ is not installed\).*apt-get install/,
    );
  } finally {
    Deno.env.set("PATH", path);
  }
});

Deno.test("--brokers takes a whole number from 1 to 5 and says so otherwise", () => {
  assert.equal(parseBrokerCount("1"), 1);
  assert.equal(parseBrokerCount("3"), 3);
  assert.equal(parseBrokerCount(" 5 "), 5);
  for (const bad of ["0", "6", "2.5", "-1", "three", "", "1e1"]) {
    assert.throws(
      () => parseBrokerCount(bad),
      new RegExp(`Cannot use --brokers "${bad}": expected a whole number from 1 to 5`),
    );
  }
});

Deno.test({
  name: "asking for three brokers where a single broker answers fails with what to do",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const running = await testServices();
    const kafkaPort = Number(running.kafkaBrokers[0].split(":")[1]);
    await assert.rejects(
      ensureServices({
        databaseUrl: running.databaseUrl,
        kafkaPort,
        kafkaBrokerCount: 3,
        noDocker: true,
      }),
      /answers but has fewer than 3 brokers: stop what listens there, or pick other ports/,
    );
  },
});
