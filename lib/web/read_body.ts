/**
 * Reads a request body as text with a size limit, without buffering more than the
 * limit (a lying or absent `Content-Length` cannot make the server read more).
 *
 * @module
 */
import type { Result } from "../core/result.ts";

/** The body's text, or why it was refused and the status to answer with. */
export type BodyResult = Result<string, { status: 400 | 413; reason: string }>;

/** Reads at most `maxBytes` of `req`'s body as UTF-8; longer bodies are refused (413). */
export async function readBody(req: Request, maxBytes: number): Promise<BodyResult> {
  const tooLarge = {
    ok: false as const,
    status: 413 as const,
    reason: `body larger than ${maxBytes} bytes`,
  };
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return tooLarge;
  if (!req.body) return { ok: true, value: "" };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > maxBytes) return tooLarge;
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  try {
    return { ok: true, value: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, status: 400, reason: "body is not UTF-8" };
  }
}
