/**
 * The consumer-group worker: one Postgres transaction per partition batch (events,
 * rollups, offsets, rejects, NOTIFY), bounded rejects and the DLQ, metrics, and the
 * ingest status and health read from its bookkeeping.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 4,
  /** The folders it may import. */
  imports: ["core", "db", "kafka", "rollups", "live"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: [],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;
