import type { ErrorPageProps } from "../../mod.ts";

export default function ServerError({ status, message }: ErrorPageProps) {
  return <p id="server-error">Error {status}: {message}</p>;
}
