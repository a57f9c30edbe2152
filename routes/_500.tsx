import type { ErrorPageProps } from "../server/mod.ts";

/** The page shown when a handler fails; the error itself is logged, never shown. */
export default function ServerError({ status }: ErrorPageProps) {
  return (
    <main class="page narrow">
      <h1>Something went wrong</h1>
      <p>The server could not answer this request (status {status}). It has been logged.</p>
      <p>
        <a href="/">Back to the shop</a>
      </p>
    </main>
  );
}
