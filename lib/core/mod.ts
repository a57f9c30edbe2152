/**
 * The event contract (the dataset's columns, the rules that normalize a record into an
 * event), the one `Result` of parsers, and generic helpers every step uses: waiting with a
 * deadline, retrying with backoff, token buckets, group commit. Pure and browser-safe:
 * no I/O, no `Deno`, no npm package.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 0,
  /** The folders it may import. */
  imports: [],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: [],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: "all",
} as const;
