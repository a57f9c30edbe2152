import type { ErrorPageProps } from "../../mod.ts";

export default function ErrorPage({ url, status, message }: ErrorPageProps) {
  return status === 404
    ? <p id="not-found">No page at {url.pathname}</p>
    : <p id="server-error">Error {status}: {message}</p>;
}
