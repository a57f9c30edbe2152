/**
 * The one result shape of parsers and actions that can refuse: the value, or why not.
 * A refusal carries `reason` (safe to show) and whatever else its caller needs to
 * answer (an HTTP status, a wait).
 *
 * @module
 */

/** The value, or the refusal's fields (`reason` at least). */
export type Result<T, Refusal extends { reason: string } = { reason: string }> =
  | { ok: true; value: T }
  | ({ ok: false } & Refusal);
