/**
 * A guard for one known postgres.js 3.4 race: when a connection closes inside a
 * transaction (a terminated backend, a restarted server), postgres.js sends the
 * `rollback` on the closed connection and its deferred write throws
 * `Cannot read properties of null (reading 'write')` from a timer, which would kill
 * the process. The transaction itself is already rejected with CONNECTION_CLOSED
 * (the caller retries it), so that one error is harmless; every other uncaught error
 * still ends the process.
 *
 * @module
 */

let installed = false;

/** True for the postgres.js closed-socket write error and nothing else. */
export function isClosedSocketWrite(error: unknown): boolean {
  return error instanceof TypeError &&
    error.message === "Cannot read properties of null (reading 'write')" &&
    /postgres@?[\d.]*[\\/].*connection\.js|postgres[\\/]src[\\/]connection\.js/.test(
      error.stack ?? "",
    );
}

/** Installs the guard once per process. */
export function guardPostgresClosedSocketWrites(): void {
  if (installed) return;
  installed = true;
  globalThis.addEventListener("error", (event) => {
    if (isClosedSocketWrite(event.error)) event.preventDefault();
  });
}
