import type { Handlers } from "../server/mod.ts";
import type { AppState } from "../lib/app_state.ts";
import { kafkaAnswers } from "../lib/services/kafka_local.ts";

/** Liveness and dependencies: 200 when Postgres and Kafka answer, else 503. */
export const handler: Handlers<AppState> = {
  async GET({ state }) {
    const [database, kafka] = await Promise.all([
      state.sql`select 1`.then(() => true, () => false),
      kafkaAnswers(state.kafkaBrokers),
    ]);
    const ok = database && kafka;
    return Response.json({
      ok,
      database,
      kafka,
      // The shop's producer: events waiting for Kafka and events dropped (queue full).
      producer: state.producer.stats(),
      uptimeSeconds: Math.round((Date.now() - state.startedAt.getTime()) / 1000),
    }, { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } });
  },
};
