import type { Handlers } from "../server/mod.ts";
import type { AppState } from "../lib/web/app_state.ts";
import { authorize } from "../lib/web/auth.ts";
import { clientOf } from "../lib/web/client_address.ts";
import { loadIngestHealth } from "../lib/ingest/health.ts";

/**
 * Liveness and dependencies: 200 when Postgres and Kafka answer, else 503. Publicly
 * only `{ ok }`; with the dashboard token (bearer or session; or when none is set) the
 * details too: each dependency, the shop's producer, uptime and the ingest section
 * (workers, events/s, last event age, lag per partition, rejects by kind), which
 * informs but does not fail the check. Kafka is asked through the process's one
 * long-lived admin connection.
 */
export const handler: Handlers<AppState> = {
  async GET(ctx) {
    const { state } = ctx;
    const [database, kafka, access] = await Promise.all([
      state.sql`select 1`.then(() => true, () => false),
      state.kafka.answers(),
      authorize(ctx.req, state.auth, clientOf(ctx, state.trust).address),
    ]);
    const ok = database && kafka;
    const init = { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } };
    if (!access.ok) return Response.json({ ok }, init);
    const ingest = database
      ? await loadIngestHealth(state.sql, {
        topic: state.topic,
        brokers: state.kafkaBrokers,
        readEnds: (topic) => state.kafka.ends(topic),
      }).catch((error) => ({ error: error instanceof Error ? error.message : String(error) }))
      : null;
    return Response.json({
      ok,
      database,
      kafka,
      // The shop's producer: events waiting for Kafka, dropped, and its spool on disk
      // (records, bytes, refused: what did not fit).
      producer: state.producer.stats(),
      // The shop's refusals: actions over a limit or by bots, never written as events.
      shop: state.shop.limits.stats(),
      uptimeSeconds: Math.round((Date.now() - state.startedAt.getTime()) / 1000),
      ingest,
    }, init);
  },
};
