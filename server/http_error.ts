/**
 * The one error type handlers throw for HTTP failures; the app's error handler turns
 * it into the matching page (404) or a plain response, and logs only 5xx.
 *
 * @module
 */

/** An error with an HTTP status; `message` is safe to show to the client. */
export class HttpError extends Error {
  /** The HTTP status code to answer with. */
  readonly status: number;
  constructor(status: number, message?: string, options?: ErrorOptions) {
    super(message ?? defaultMessage(status), options);
    this.name = "HttpError";
    this.status = status;
  }
}

function defaultMessage(status: number): string {
  return {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    429: "Too many requests",
  }[status] ?? "Internal server error";
}
