/**
 * The dashboard's API handlers' shared step: read the URL's state (bounded before it
 * is parsed), ask the rollups (through the per-process bulkhead of lib/dashboard/gate.ts),
 * turn a bad query (a malformed value, a range outside the allowed days) into a 400 that
 * says what is wrong, and a busy server into a 503 that says when to retry.
 *
 * @module
 */
import { type AppState, ingestStatus } from "./app_state.ts";
import { BusyError, dashboardRead } from "../dashboard/gate.ts";
import { loadSummary } from "../dashboard/summary.ts";
import { loadExportCsv } from "../dashboard/export.ts";
import { StatsOptionError } from "../dashboard/stats.ts";
import { BadQueryError, parseSummarySearch, type SummaryQuery } from "../dashboard/query.ts";
import { type Summary } from "../dashboard/model.ts";
import { HttpError } from "../../server/http_error.ts";

/** Runs `work`, turning the query errors it throws into `HttpError(400)`. */
export async function asBadRequest<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BadQueryError || error instanceof StatsOptionError) {
      throw new HttpError(400, error.message);
    }
    throw error;
  }
}

/** Parses the URL's query string (size checked first); a bad value becomes `HttpError(400)`. */
export function readQuery(url: URL): Promise<SummaryQuery> {
  // `url.search`, not `url.searchParams`: the raw text is bounded before it is parsed.
  return asBadRequest(() => parseSummarySearch(url.search));
}

/** The summary for the URL's query, stamped with the live hub's position. */
export async function readSummary(state: AppState, url: URL): Promise<Summary> {
  const query = await readQuery(url);
  return asBadRequest(() =>
    dashboardRead(state.sql, (tx) => {
      // The hub's position just before querying (after any wait for a turn): deltas up
      // to it are in the result.
      const live = state.live ? { instance: state.live.instance, seq: state.live.seq } : undefined;
      return loadSummary(tx, query, {
        timeZone: state.config.analyticsTz,
        status: () => ingestStatus(state),
        live,
      });
    })
  );
}

/** The export for the URL's query: CSV text and a descriptive file name. */
export async function readExport(
  state: AppState,
  url: URL,
): Promise<{ csv: string; filename: string }> {
  const query = await readQuery(url);
  const { range, granularity, csv } = await asBadRequest(() =>
    dashboardRead(
      state.sql,
      (tx) => loadExportCsv(tx, query, { timeZone: state.config.analyticsTz }),
    )
  );
  return { csv, filename: `ad-funnel_${range.from}_${range.to}_${granularity}.csv` };
}

/**
 * Turns `answer`'s `BusyError` into `HttpError(503)` with `Retry-After` (the server
 * refusing work on purpose); other errors pass.
 */
export async function orBusy<T>(answer: () => Promise<T>): Promise<T> {
  try {
    return await answer();
  } catch (error) {
    if (!(error instanceof BusyError)) throw error;
    throw new HttpError(503, error.message, {
      headers: { "retry-after": String(error.retryAfter), "cache-control": "no-store" },
    });
  }
}
