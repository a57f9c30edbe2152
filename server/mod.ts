/**
 * The Fresh-convention layer on Hono: file routes from `routes/`, per-method `handler`
 * exports, default-export pages with the handler's data, `_app` layout, one `_error`
 * page (as Fresh 2: every error of a page request, 404 included; `/api/` answers JSON),
 * `_middleware` files wrapping the routes of their folder and below,
 * islands hydrated in the browser, `static/` with cache headers. Every response gets
 * the security headers, and every request body is size-limited before any route reads
 * it. Replaceable by real Fresh by touching only this folder and `main.ts`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type ComponentType, h } from "preact";
import { HttpError, isHttpError } from "./http_error.ts";
import { requestUrl } from "./request_url.ts";
import { bundleIslands, type IslandBundle, loadIslands } from "./islands.ts";
import { renderDocument } from "./render.ts";
import { isMiddlewareFile, middlewareFor, routePattern, sortRoutes } from "./route_pattern.ts";
import { type ContentSecurityPolicy, cspNonce, securityHeaders } from "./security_headers.ts";
import { staticFiles } from "./static_files.ts";
import { type AppProps, type ErrorPageProps, type Handler, type Method, METHODS } from "./types.ts";
import type {
  AnyVNode,
  Middleware,
  MiddlewareModule,
  PageData,
  RouteContext,
  RouteInfo,
  RouteModule,
} from "./types.ts";

export { HttpError };
export type * from "./types.ts";
export { type ContentSecurityPolicy, DEFAULT_CSP } from "./security_headers.ts";

/**
 * The default largest request body, 16 KiB: the largest legitimate bodies here (the
 * order and login forms, a beacon) are a few hundred bytes.
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** Options for {@linkcode createApp}. */
export interface AppOptions<State> {
  /** The folder with `routes/`, `islands/` and `static/`. */
  root: URL;
  /** Given to every handler and page as `state`. */
  state: State;
  /** Where the island bundle is built; default `<root>/.cache/islands/`. */
  cacheDir?: URL;
  /** Receives 5xx errors; default `console.error`. */
  onError?: (error: unknown, req: Request) => void;
  /** Middleware run before routes and static files, for every request (logging…). */
  middleware?: Parameters<Hono["use"]>[1][];
  /**
   * The largest request body, in bytes, for every route: a larger one is answered 413
   * before any handler reads it; default {@linkcode DEFAULT_MAX_BODY_BYTES}.
   */
  maxBodyBytes?: number;
  /** Directives replacing those of the default Content Security Policy. */
  contentSecurityPolicy?: ContentSecurityPolicy;
}

/** The built application. */
export interface App {
  /** The Hono app (for `Deno.serve(app.fetch)` or in-process `app.request()`). */
  hono: Hono;
  /** `fetch` with the client's address passed through, for `Deno.serve`. */
  fetch: (req: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response>;
  /** The route table, most specific first: pattern, file and the middleware around it. */
  routes: RouteInfo[];
}

interface LoadedRoute<State> extends RouteInfo {
  module: RouteModule<State>;
  chain: Middleware<State>[];
}

async function listFiles(dir: URL, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      files.push(...await listFiles(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`));
    } else if (entry.isFile) {
      files.push(prefix + entry.name);
    }
  }
  return files;
}

async function importSpecial<T>(routesDir: URL, name: string): Promise<T | undefined> {
  for (const ext of ["tsx", "ts"]) {
    const url = new URL(`${name}.${ext}`, routesDir);
    if (await Deno.stat(url).then(() => true, () => false)) {
      return ((await import(url.href)) as { default: T }).default;
    }
  }
  return undefined;
}

/** Scans the folders and builds the application. */
export async function createApp<State>(options: AppOptions<State>): Promise<App> {
  const routesDir = new URL("routes/", options.root);
  const files = await listFiles(routesDir);
  const patterns = sortRoutes(files.map(routePattern).filter((p) => p !== undefined));
  const middlewareFiles = files.filter(isMiddlewareFile);
  const middleware = new Map<string, Middleware<State>[]>();
  for (const file of middlewareFiles) {
    middleware.set(file, await loadMiddleware<State>(routesDir, file));
  }
  const routes: LoadedRoute<State>[] = [];
  for (const pattern of patterns) {
    const module = await import(new URL(pattern.file, routesDir).href) as RouteModule<State>;
    if (!module.handler && !module.default) {
      throw new Error(`Cannot route "${pattern.file}": export a handler or a default page`);
    }
    const around = middlewareFor(pattern.file, middlewareFiles);
    routes.push({
      pattern: pattern.pattern,
      file: pattern.file,
      middleware: around,
      module,
      chain: around.flatMap((file) => middleware.get(file)!),
    });
  }
  const appLayout = await importSpecial<ComponentType<AppProps>>(routesDir, "_app");
  const errorPage = await importSpecial<ComponentType<ErrorPageProps>>(routesDir, "_error");
  const islands = await loadIslands(new URL("islands/", options.root));
  let bundle: IslandBundle | undefined;
  if (islands.length > 0) {
    bundle = await bundleIslands(
      islands,
      options.cacheDir ?? new URL(".cache/islands/", options.root),
    );
  }
  const logError = options.onError ??
    ((error: unknown, req: Request) =>
      console.error(`${req.method} ${new URL(req.url).pathname} failed:`, error));

  const html = (page: AnyVNode, c: Context, url: URL, init?: ResponseInit) => {
    const headers = new Headers(init?.headers);
    if (!headers.has("content-type")) headers.set("content-type", "text/html; charset=utf-8");
    const body = renderDocument(page, {
      app: appLayout,
      url,
      bundlePath: bundle?.path,
      nonce: cspNonce(c),
    });
    return new Response(body, { ...init, headers });
  };

  // One answer for every failure: JSON under /api/ (clients there read JSON), the
  // error page otherwise; the HttpError's headers and status either way.
  const renderError = (c: Context, error: HttpError) => {
    const url = requestUrl(c.req.raw);
    const headers = new Headers(error.headers);
    const { status, message, link } = error;
    if (isApiPath(url.pathname)) {
      headers.set("cache-control", headers.get("cache-control") ?? "no-store");
      return Response.json({ error: message, status, ...(link ? { link } : {}) }, {
        status,
        headers,
      });
    }
    if (errorPage) {
      return html(h(errorPage, { url, status, message, link }), c, url, { status, headers });
    }
    headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(message, { status, headers });
  };

  const hono = new Hono();
  hono.onError((error, c) => {
    if (isHttpError(error)) {
      // A thrown HttpError is an answer the route chose; only one wrapping an
      // unexpected failure (its `cause`) is worth a log line.
      if (error.cause !== undefined) logError(error, c.req.raw);
      return renderError(c, error);
    }
    logError(error, c.req.raw);
    return renderError(c, new HttpError(500));
  });
  hono.notFound((c) => renderError(c, new HttpError(404, "Not found")));
  // First, so every response has the headers: pages, errors, static files, the bundle.
  hono.use("*", securityHeaders({ contentSecurityPolicy: options.contentSecurityPolicy }));
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  hono.use(
    "*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) =>
        renderError(c, new HttpError(413, `Payload too large: send at most ${maxBodyBytes} bytes`)),
    }),
  );
  if (bundle) {
    const code = bundle.code;
    hono.get(bundle.path, () =>
      new Response(code as Uint8Array<ArrayBuffer>, {
        headers: {
          "content-type": "text/javascript; charset=utf-8",
          "cache-control": "public, max-age=31536000, immutable",
        },
      }));
  }
  for (const middleware of options.middleware ?? []) hono.use("*", middleware);
  hono.use("*", staticFiles({ root: new URL("static/", options.root) }));

  for (const route of routes) {
    const { handler, default: Page } = route.module;
    const handlers: Partial<Record<Method, Handler<State>>> = typeof handler === "function"
      ? Object.fromEntries(METHODS.map((m) => [m, handler]))
      : { ...handler };
    if (!handlers.GET && Page) handlers.GET = () => ({ data: undefined });
    if (handlers.GET && !handlers.HEAD) handlers.HEAD = handlers.GET;
    const allowed = Object.keys(handlers).join(", ");
    hono.all(route.pattern, async function dispatchRoute(c: Context) {
      const url = requestUrl(c.req.raw);
      const params = c.req.param() as Record<string, string>;
      const info = (c.env as { info?: Deno.ServeHandlerInfo } | undefined)?.info;
      const remote = info?.remoteAddr as Deno.NetAddr | undefined;
      const render = (data?: unknown, init?: ResponseInit) => {
        if (!Page) throw new Error(`Route ${route.pattern} has no default page to render`);
        return html(h(Page, { data, url, params, state: options.state }), c, url, init);
      };
      const ctx: RouteContext<State> = {
        req: c.req.raw,
        url,
        params,
        route: route.pattern,
        state: options.state,
        remoteAddr: remote?.hostname,
        render,
      };
      // The middleware runs inside the matched route, so it decides on exactly what the
      // router matched (after its decoding), never on a string compare of the raw path.
      return await runChain(route.chain, ctx, async function callHandler() {
        const fn = handlers[c.req.method as Method];
        if (!fn) {
          throw new HttpError(405, "Method not allowed", { headers: { allow: allowed } });
        }
        const result = await fn(ctx);
        if (result instanceof Response) return result;
        const page = result as PageData;
        return render(page.data, { status: page.status, headers: page.headers });
      });
    });
  }
  return {
    hono,
    fetch: (req, info) => hono.fetch(req, { info }),
    routes: routes.map(({ pattern, file, middleware }) => ({ pattern, file, middleware })),
  };
}

/** Runs `chain` around `handler`: each middleware's `ctx.next()` runs the rest. */
function runChain<State>(
  chain: Middleware<State>[],
  ctx: RouteContext<State>,
  handler: () => Promise<Response>,
): Promise<Response> {
  const step = async (i: number): Promise<Response> => {
    if (i === chain.length) return await handler();
    return await chain[i]({ ...ctx, next: () => step(i + 1) });
  };
  return step(0);
}

/** Imports a `_middleware` file: its `handler` (or default) export, a function or an array. */
async function loadMiddleware<State>(routesDir: URL, file: string): Promise<Middleware<State>[]> {
  const module = await import(new URL(file, routesDir).href) as MiddlewareModule<State>;
  const exported = module.handler ?? module.default;
  const list = Array.isArray(exported) ? exported : [exported];
  if (list.length === 0 || list.some((fn) => typeof fn !== "function")) {
    throw new Error(
      `Cannot use "${file}": export a handler function (ctx) => ctx.next(), or an array of them`,
    );
  }
  return list as Middleware<State>[];
}

/** True for a path under `/api/`, decoded as the router decodes it. */
function isApiPath(pathname: string): boolean {
  let decoded = pathname;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // A malformed escape: the raw path decides.
  }
  return /^\/+api(\/|$)/i.test(decoded);
}
