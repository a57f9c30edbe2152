/**
 * Postgres: the postgres.js client (one `sql` per process, the closed-socket guard
 * installed with it), database creation, named SQLSTATEs, the replaceable pool, COPY
 * streaming and the migrations runner.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 1,
  /** The folders it may import. */
  imports: ["core"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: ["postgres"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;
