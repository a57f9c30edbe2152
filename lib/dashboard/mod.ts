/**
 * The dashboard's numbers: the summary model and its live deltas, the query rules and
 * the series buckets (browser-safe), the summary read from the rollups, the CSV export,
 * the explore panel's statistics and the read limits.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 5,
  /** The folders it may import. */
  imports: ["core", "db", "kafka", "rollups", "live", "ingest"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: ["p-limit"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [
    "model.ts",
    "query.ts",
    "buckets.ts",
    "live_sync.ts",
    "range_event.ts",
    "stats_report.ts",
  ],
} as const;
