/**
 * Synthetic and replayed traffic: the one visitor model and PRNG behind `deno task
 * gen` and `simulate`, the CSV writer, and `replay`'s pacing. Runtime processes (web,
 * worker) never import it.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 5,
  /** The folders it may import. */
  imports: ["core", "load", "shop"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: ["csv-parse"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;
