import type { ErrorPageProps } from "../server/mod.ts";

/** Headings for the errors a visitor meets; others take the generic one. */
const HEADINGS: Record<number, string> = {
  400: "That request could not be read",
  401: "Sign in first",
  403: "Not allowed",
  404: "Page not found",
  405: "Not allowed here",
  409: "Already done",
  413: "Too large",
  415: "That request could not be read",
  429: "Too many requests",
};

/**
 * The page for every error of a page request (API paths answer JSON): the reason the
 * route gave (an `HttpError`'s message is safe to show; an unexpected error is logged
 * and shown only as "Internal server error"), and where to go next.
 */
export default function ErrorPage({ url, status, message, link }: ErrorPageProps) {
  const heading = status >= 500 ? "Something went wrong" : HEADINGS[status] ?? "Request refused";
  return (
    <main class="page narrow" data-testid="error-page" data-status={status}>
      <h1>{heading}</h1>
      {status === 404 && message === "Not found"
        ? (
          <p data-testid="error-message">
            Nothing lives at <code>{url.pathname}</code>.
          </p>
        )
        : <p data-testid="error-message">{message}</p>}
      {status === 500 && <p>The server could not answer this request. It has been logged.</p>}
      {link && (
        <p>
          <a href={link.href} data-testid="error-link">{link.label}</a>
        </p>
      )}
      <p>
        <a href="/">Back to the shop</a>
      </p>
    </main>
  );
}
