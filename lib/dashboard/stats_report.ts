/**
 * What `deno task stats --json` and the explore panel (`/api/explore`) answer: the
 * statistics' shape, shared by the server that computes them and the island that shows
 * them. Browser-safe.
 *
 * @module
 */
import type { Product, SiteVersion, Title } from "../core/event.ts";

/** Shows, clicks and orders of a group, with its rates (null when undefined). */
export interface Funnel {
  shows: number;
  clicks: number;
  orders: number;
  /** Click-through rate: clicks / shows. */
  ctr: number | null;
  /** Conversion: orders / clicks. */
  conversion: number | null;
}

/** The result of `computeStats` (lib/dashboard/stats.ts): `deno task stats --json`, `/api/explore`. */
export interface Stats {
  from: string | null;
  to: string | null;
  timeZone: string;
  /** Events in the range. */
  events: number;
  /** Earliest and latest event time in the range (ISO UTC), null when there are none. */
  firstEvent: string | null;
  lastEvent: string | null;
  byTitle: Record<Title, number>;
  byProduct: { product: Product; events: number; share: number | null }[];
  /** Desktop vs mobile share of events. */
  bySiteVersion: { site_version: SiteVersion; events: number; share: number | null }[];
  funnelByProduct: ({ product: Product } & Funnel)[];
  funnelBySiteVersion: ({ site_version: SiteVersion } & Funnel)[];
  topUsers: { user_id: string; events: number }[];
  topPages: { page_id: string; events: number }[];
  /** Milliseconds each part took (the parts run concurrently). */
  timings: { rollups: number; range: number; topUsers: number; topPages: number; total: number };
}
