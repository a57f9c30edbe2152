/**
 * Reads the reason out of an error answer, whichever form the server chose: JSON
 * `{ "error" }` under /api/, the error page's message otherwise.
 *
 * @module
 */

/** The reason `body` (an error answer's text) gives, unescaped. */
export function reasonOf(body: string): string {
  if (body.startsWith("{")) return String(JSON.parse(body).error);
  const text = /data-testid="error-message">([^<]*)</.exec(body)?.[1];
  if (text === undefined) throw new Error(`Not an error answer: ${body.slice(0, 200)}`);
  return text.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&#39;", "'").replaceAll("&amp;", "&");
}

/** The reason of an error `response` (its body is read). */
export async function errorReason(response: Response): Promise<string> {
  return reasonOf(await response.text());
}
