/**
 * What every process does around its work: read and validate the configuration (the
 * only module that reads the environment), prepare database, migrations and topics,
 * shut down cleanly.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 6,
  /** The folders it may import. */
  imports: ["core", "db", "kafka", "shop"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: ["proxy-addr"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;
