/**
 * Kafka: the one client module (kafkajs behind it, with the compression codecs it
 * lacks), topics and their DLQs, the long-lived admin probe and consumer lag. Every other
 * folder takes Kafka types from here.
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
  npm: ["kafkajs", "@platformatic/kafka"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;
