/**
 * Serves `static/` at the site root with cache headers and ETags; files under
 * `static/immutable/` (content-addressed) are cached for a year.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { getMimeType } from "hono/utils/mime";

/** Options for {@linkcode staticFiles}. */
export interface StaticOptions {
  /** The folder to serve. */
  root: URL;
  /** `max-age` seconds for ordinary files; default one hour. */
  maxAge?: number;
}

/** Hono middleware that answers GET/HEAD for files in `root`, else passes on. */
export function staticFiles(options: StaticOptions): MiddlewareHandler {
  const maxAge = options.maxAge ?? 3600;
  const root = options.root.pathname.replace(/\/?$/, "/");
  return async function serveStaticFile(c, next) {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return next();
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return next();
    }
    if (path.includes("..") || path.includes("\0") || path.endsWith("/")) return next();
    const file = root + path.slice(1);
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(file);
    } catch {
      return next();
    }
    if (!info.isFile) return next();
    const etag = `W/"${info.size.toString(36)}-${(info.mtime?.getTime() ?? 0).toString(36)}"`;
    const headers = new Headers({
      "content-type": getMimeType(file) ?? "application/octet-stream",
      "cache-control": path.startsWith("/immutable/")
        ? "public, max-age=31536000, immutable"
        : `public, max-age=${maxAge}`,
      etag,
    });
    if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
    headers.set("content-length", String(info.size));
    if (c.req.method === "HEAD") return new Response(null, { headers });
    return new Response((await Deno.open(file)).readable, { headers });
  };
}
