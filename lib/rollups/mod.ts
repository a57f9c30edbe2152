/**
 * The rollup tables and the one write path that keeps them equal to `events`: the
 * schema (table names, time columns, the minute window), per-minute counts, events and
 * their rollup rows in one statement or COPY, the background merge and the invariant.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 2,
  /** The folders it may import. */
  imports: ["core", "db"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: [],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;
