/**
 * The shop's domain: the catalogue, visitors (signed cookies), signatures, impressions,
 * form tokens, limits, the events it emits and the producer that sends them to Kafka.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 4,
  /** The folders it may import. */
  imports: ["core", "db", "kafka"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: ["@noble/hashes", "ipaddr.js", "isbot", "cookie", "uuidv7"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: ["order_form.ts"],
} as const;
