/**
 * The web process's plumbing over the Fresh-convention layer (the only folder that may
 * import `server/` or Hono): the state routes receive, the dashboard token and
 * sessions, client addresses, bodies, redirects, and the dashboard API's shared steps.
 *
 * @module
 */
/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 7,
  /** The folders it may import. */
  imports: ["core", "db", "kafka", "live", "ingest", "dashboard", "shop", "process"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: ["hono", "proxy-addr", "cookie"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;
