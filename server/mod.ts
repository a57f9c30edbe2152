/**
 * The Fresh-convention layer on Hono: file routes from `routes/`, per-method `handler`
 * exports, default-export pages with the handler's data, `_app` layout, `_404` and
 * `_500` pages, islands hydrated in the browser, `static/` with cache headers.
 * Replaceable by real Fresh by touching only this folder and `main.ts`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { type ComponentType, h } from "preact";
import { HttpError } from "./http_error.ts";
import { bundleIslands, type IslandBundle, loadIslands } from "./islands.ts";
import { renderDocument } from "./render.ts";
import { routePattern, sortRoutes } from "./route_pattern.ts";
import { staticFiles } from "./static_files.ts";
import { type AppProps, type ErrorPageProps, type Handler, type Method, METHODS } from "./types.ts";
import type { AnyVNode, PageData, RouteContext, RouteModule } from "./types.ts";

export { HttpError };
export type * from "./types.ts";

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
  /** Middleware run before routes (auth, logging…). */
  middleware?: Parameters<Hono["use"]>[1][];
}

/** The built application. */
export interface App {
  /** The Hono app (for `Deno.serve(app.fetch)` or in-process `app.request()`). */
  hono: Hono;
  /** `fetch` with the client's address passed through, for `Deno.serve`. */
  fetch: (req: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response>;
  /** The URL patterns served, most specific first. */
  routes: string[];
}

interface LoadedRoute<State> {
  pattern: string;
  module: RouteModule<State>;
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
  const routes: LoadedRoute<State>[] = [];
  for (const pattern of patterns) {
    const module = await import(new URL(pattern.file, routesDir).href) as RouteModule<State>;
    if (!module.handler && !module.default) {
      throw new Error(`Cannot route "${pattern.file}": export a handler or a default page`);
    }
    routes.push({ pattern: pattern.pattern, module });
  }
  const appLayout = await importSpecial<ComponentType<AppProps>>(routesDir, "_app");
  const notFoundPage = await importSpecial<ComponentType<{ url: URL }>>(routesDir, "_404");
  const errorPage = await importSpecial<ComponentType<ErrorPageProps>>(routesDir, "_500");
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

  const html = (page: AnyVNode, url: URL, init?: ResponseInit) => {
    const headers = new Headers(init?.headers);
    if (!headers.has("content-type")) headers.set("content-type", "text/html; charset=utf-8");
    const body = renderDocument(page, { app: appLayout, url, bundlePath: bundle?.path });
    return new Response(body, { ...init, headers });
  };

  const renderError = (status: number, message: string, url: URL) => {
    if (status === 404 && notFoundPage) return html(h(notFoundPage, { url }), url, { status });
    if (status >= 500 && errorPage) {
      return html(h(errorPage, { url, status, message }), url, { status });
    }
    return new Response(message, {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  };

  const hono = new Hono();
  hono.onError((error, c) => {
    const url = new URL(c.req.url);
    if (error instanceof HttpError) {
      if (error.status >= 500) logError(error, c.req.raw);
      return renderError(error.status, error.message, url);
    }
    logError(error, c.req.raw);
    return renderError(500, "Internal server error", url);
  });
  hono.notFound((c) => renderError(404, "Not found", new URL(c.req.url)));
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
      const method = c.req.method as Method;
      const fn = handlers[method];
      if (!fn) {
        return new Response("Method not allowed", { status: 405, headers: { allow: allowed } });
      }
      const url = new URL(c.req.url);
      const params = c.req.param() as Record<string, string>;
      const info = (c.env as { info?: Deno.ServeHandlerInfo } | undefined)?.info;
      const remote = info?.remoteAddr as Deno.NetAddr | undefined;
      const render = (data?: unknown, init?: ResponseInit) => {
        if (!Page) throw new Error(`Route ${route.pattern} has no default page to render`);
        return html(h(Page, { data, url, params, state: options.state }), url, init);
      };
      const ctx: RouteContext<State> = {
        req: c.req.raw,
        url,
        params,
        state: options.state,
        remoteAddr: remote?.hostname,
        render,
      };
      const result = await fn(ctx);
      if (result instanceof Response) return result;
      const page = result as PageData;
      return render(page.data, { status: page.status, headers: page.headers });
    });
  }
  return {
    hono,
    fetch: (req, info) => hono.fetch(req, { info }),
    routes: routes.map((route) => route.pattern),
  };
}
