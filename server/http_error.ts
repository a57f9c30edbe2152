/**
 * The one error type routes throw for HTTP failures. The app's error handler answers
 * it (see `mod.ts`): as JSON `{ "error", "status" }` under `/api/`, as the
 * `routes/_error.tsx` page otherwise, with the error's headers either way. It is an
 * answer the route chose, so it is logged only when it wraps a failure (`cause`).
 *
 * @module
 */

/** Options of {@linkcode HttpError}. */
export interface HttpErrorOptions extends ErrorOptions {
  /** Headers of the answer (`retry-after`, `www-authenticate`, `allow`, …). */
  headers?: HeadersInit;
  /** Where to go next, shown on the error page and sent as `link` in JSON. */
  link?: { href: string; label: string };
}

// A brand rather than `instanceof` alone: a second copy of this module (a symlinked
// tree, a duplicated dependency) makes a second class whose errors must still count.
const BRAND = Symbol.for("ecommerce.HttpError");

/** True for an {@linkcode HttpError} from any copy of this module. */
export function isHttpError(error: unknown): error is HttpError {
  return error instanceof Error && (error as unknown as Record<symbol, unknown>)[BRAND] === true;
}

/** An error with an HTTP status; `message` is safe to show to the client. */
export class HttpError extends Error {
  /** Marks errors of this class (see {@linkcode isHttpError}). */
  readonly [BRAND] = true;
  /** The HTTP status code to answer with. */
  readonly status: number;
  /** Headers of the answer. */
  readonly headers: Headers;
  /** Where to go next (a same-site path). */
  readonly link?: { href: string; label: string };
  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    super(message ?? defaultMessage(status), options);
    this.name = "HttpError";
    this.status = status;
    this.headers = new Headers(options.headers);
    this.link = options.link;
  }
}

function defaultMessage(status: number): string {
  return {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    426: "Upgrade required",
    429: "Too many requests",
    503: "Service unavailable",
  }[status] ?? "Internal server error";
}
