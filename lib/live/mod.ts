/**
 * Live updates: the wire formats (browser-safe), the worker's NOTIFY payload, the web
 * process's hub (LISTEN → sockets) and the browser's WebSocket client.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 3,
  /** The folders it may import. */
  imports: ["core", "db", "rollups"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: [],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: ["protocol.ts", "client.ts"],
} as const;
