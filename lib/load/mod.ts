/**
 * The bulk importer: CSV bytes to row rules to COPY batches with their rollups, the
 * rejects file and the progress line.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 4,
  /** The folders it may import. */
  imports: ["core", "db", "rollups"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: ["csv-parse", "cli-progress"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;
