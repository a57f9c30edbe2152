/**
 * The contract between route files and the Fresh-convention layer.
 *
 * @module
 */
import type { ComponentChildren, ComponentType, VNode } from "preact";

/** A vnode of any props: preact's VNode is invariant in its props type. */
// deno-lint-ignore no-explicit-any -- any props: the layer renders every page type
export type AnyVNode = VNode<any>;

/** HTTP methods a route's `handler` object may define. */
export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
/** One of {@linkcode METHODS}. */
export type Method = typeof METHODS[number];

/** What a handler receives. */
export interface RouteContext<State = unknown> {
  /** The incoming request. */
  req: Request;
  /** Its URL as the client sent it (`http:`/`https:`; prefer it to `req.url`, which is `http+unix:` behind the connection guard). */
  url: URL;
  /** Values of the route's `[param]` segments, decoded. */
  params: Record<string, string>;
  /** The pattern the router matched (`/product/:category`): what middleware decides on. */
  route: string;
  /** The application state given to `createApp` (database, producer, config…). */
  state: State;
  /** Address of the client (for rate limits and logs). */
  remoteAddr?: string;
  /** Renders the route's default-export page with `data`. */
  render(data?: unknown, init?: ResponseInit): Response;
}

/** A per-method handler: returns a Response, or data for the route's page. */
export type Handler<State = unknown> = (
  ctx: RouteContext<State>,
) => Response | PageData | Promise<Response | PageData>;

/**
 * What a `_middleware` receives: the matched route's context, plus `next()`, which runs
 * the rest of the chain (inner middleware, then the route's handler) and resolves to
 * its response.
 */
export interface MiddlewareContext<State = unknown> extends RouteContext<State> {
  next(): Promise<Response>;
}

/**
 * A `_middleware.ts` file's `handler` (or default) export, or one of an array of them
 * (Fresh 2's convention): it wraps every route in its folder and the folders below,
 * and answers itself or returns `ctx.next()`.
 */
export type Middleware<State = unknown> = (
  ctx: MiddlewareContext<State>,
) => Response | Promise<Response>;

/** The shape of a `_middleware` module, as loaded. */
export interface MiddlewareModule<State = unknown> {
  handler?: Middleware<State> | Middleware<State>[];
  default?: Middleware<State> | Middleware<State>[];
}

/** One entry of the route table `createApp` built. */
export interface RouteInfo {
  /** The Hono pattern served (`/api/summary`). */
  pattern: string;
  /** The route's file, relative to `routes/` (`(dashboard)/api/summary.ts`). */
  file: string;
  /** The `_middleware` files that wrap it, outermost first. */
  middleware: string[];
}

/** What a handler returns to render the page: `{ data, status?, headers? }`. */
export interface PageData {
  data: unknown;
  status?: number;
  headers?: HeadersInit;
}

/** A route file's `handler` export. */
export type Handlers<State = unknown> = Partial<Record<Method, Handler<State>>>;

/** Props of a page component (a route file's default export). */
export interface PageProps<Data = unknown, State = unknown> {
  data: Data;
  url: URL;
  params: Record<string, string>;
  state: State;
}

/** Props of `routes/_app.tsx`, the shared layout around every page. */
export interface AppProps {
  url: URL;
  children: ComponentChildren;
}

/** Props of `routes/_error.tsx`, the page for every error of a page request. */
export interface ErrorPageProps {
  url: URL;
  status: number;
  /** Safe to show: an `HttpError`'s message, never the stack or an unexpected error's. */
  message: string;
  /** Where to go next, when the route said. */
  link?: { href: string; label: string };
}

/** The shape of a route module, as loaded. */
export interface RouteModule<State = unknown> {
  handler?: Handlers<State> | Handler<State>;
  default?: ComponentType<PageProps<unknown, State>>;
}
