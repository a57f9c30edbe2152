import type { Handlers } from "../server/mod.ts";
import type { AppState } from "../lib/app_state.ts";
import { kafkaAnswers } from "../lib/services/kafka_local.ts";
import { loadIngestHealth } from "../lib/ingest/health.ts";

/**
 * Liveness and dependencies: 200 when Postgres and Kafka answer, else 503; plus the
 * ingest section (workers, events/s, last event age, lag per partition, rejects by
 * kind), which informs but does not fail the check.
 */
export const handler: Handlers<AppState> = {
  async GET({ state }) {
    const [database, kafka] = await Promise.all([
      state.sql`select 1`.then(() => true, () => false),
      kafkaAnswers(state.kafkaBrokers),
    ]);
    const ok = database && kafka;
    const ingest = database
      ? await loadIngestHealth(state.sql, { topic: state.topic, brokers: state.kafkaBrokers })
        .catch((error) => ({ error: error instanceof Error ? error.message : String(error) }))
      : null;
    return Response.json({
      ok,
      database,
      kafka,
      // The shop's producer: events waiting for Kafka and events dropped (queue full).
      producer: state.producer.stats(),
      // The shop's refusals: actions over a limit or by bots, never written as events.
      shop: state.shop.limits.stats(),
      uptimeSeconds: Math.round((Date.now() - state.startedAt.getTime()) / 1000),
      ingest,
    }, { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } });
  },
};
