/**
 * Maps a file under `routes/` to a URL pattern, orders patterns so the most specific
 * wins (static segments before `[param]` ones, `[...rest]` last), and finds the
 * `_middleware` files that wrap a route: one per folder above it, group folders
 * included, outermost first (Fresh 2's convention).
 *
 * @module
 */

/** A route file turned into a URL pattern. */
export interface RoutePattern {
  /** Path relative to `routes/`, with forward slashes (`product/[category].tsx`). */
  file: string;
  /** Hono pattern (`/product/:category`). */
  pattern: string;
  /** Sort key: lower is more specific. */
  rank: number[];
}

const ROUTE_FILE = /\.(tsx|ts|jsx|js)$/;

/**
 * Returns the pattern for `file`, or undefined for files that are not routes
 * (`_app`, `_404`, `_500`, tests, files in folders starting with `_` or `(`).
 */
export function routePattern(file: string): RoutePattern | undefined {
  if (!ROUTE_FILE.test(file) || /_test\.\w+$/.test(file)) return undefined;
  const segments = file.replace(ROUTE_FILE, "").split("/");
  if (segments.some((segment) => segment.startsWith("_"))) return undefined;
  const parts: string[] = [];
  const rank: number[] = [];
  for (const [i, segment] of segments.entries()) {
    if (segment.startsWith("(") && segment.endsWith(")")) continue; // a group folder
    if (segment === "index" && i === segments.length - 1) continue;
    const rest = /^\[\.\.\.(\w+)\]$/.exec(segment);
    const param = /^\[(\w+)\]$/.exec(segment);
    if (rest) {
      parts.push(`:${rest[1]}{.+}`);
      rank.push(2);
    } else if (param) {
      parts.push(`:${param[1]}`);
      rank.push(1);
    } else if (/[\[\]]/.test(segment)) {
      throw new Error(`Cannot route "${file}": write a parameter as a whole segment, [name]`);
    } else {
      parts.push(segment);
      rank.push(0);
    }
  }
  return { file, pattern: "/" + parts.join("/"), rank };
}

/** Sorts patterns most specific first: per segment, static < param < rest; then longer first. */
export function sortRoutes<T extends RoutePattern>(routes: T[]): T[] {
  return [...routes].sort((a, b) => {
    for (let i = 0; i < Math.min(a.rank.length, b.rank.length); i++) {
      if (a.rank[i] !== b.rank[i]) return a.rank[i] - b.rank[i];
    }
    return b.rank.length - a.rank.length;
  });
}

const MIDDLEWARE_FILE = /(^|\/)_middleware\.(tsx|ts|jsx|js)$/;

/** Whether `file` (relative to `routes/`) is a folder's `_middleware`. */
export function isMiddlewareFile(file: string): boolean {
  return MIDDLEWARE_FILE.test(file);
}

/**
 * The `_middleware` files among `files` that wrap `route`: those in the route's folder
 * and every folder above it up to `routes/`, outermost first.
 */
export function middlewareFor(route: string, files: readonly string[]): string[] {
  const folder = route.includes("/") ? route.slice(0, route.lastIndexOf("/") + 1) : "";
  return files
    .filter(isMiddlewareFile)
    .filter((file) => folder.startsWith(file.slice(0, file.lastIndexOf("/") + 1)))
    .sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
}
