/**
 * The dashboard's API handlers' shared step: read the URL's state, ask the rollups,
 * and turn a bad query into a 400 that says what is wrong.
 *
 * @module
 */
import type { AppState } from "./app_state.ts";
import { loadExportRows, loadSummary } from "./queries.ts";
import { BadQueryError, parseSummaryQuery, type Summary, type SummaryQuery } from "./summary.ts";
import { HttpError } from "../server/http_error.ts";

/** Parses the query string; a bad value becomes `HttpError(400)`. */
export function readQuery(params: URLSearchParams): SummaryQuery {
  try {
    return parseSummaryQuery(params);
  } catch (error) {
    if (error instanceof BadQueryError) throw new HttpError(400, error.message);
    throw error;
  }
}

/** The summary for the query string, stamped with the live hub's position. */
export function readSummary(state: AppState, params: URLSearchParams): Promise<Summary> {
  const query = readQuery(params);
  // Read the hub's position before querying: deltas up to it are in the result.
  const live = state.live ? { instance: state.live.instance, seq: state.live.seq } : undefined;
  return loadSummary(state.sql, query, {
    timeZone: state.config.analyticsTz,
    topic: state.topic,
    live,
  });
}

/** The CSV columns of the export. */
export const EXPORT_COLUMNS = ["period", "product", "site_version", "title", "events"] as const;

/** The export for the query string: CSV text and a descriptive file name. */
export async function readExport(
  state: AppState,
  params: URLSearchParams,
): Promise<{ csv: string; filename: string }> {
  const query = readQuery(params);
  const { range, granularity, rows } = await loadExportRows(state.sql, query, {
    timeZone: state.config.analyticsTz,
  });
  // Every value is an ISO time, an enum name or an integer: nothing needs quoting.
  const lines = [EXPORT_COLUMNS.join(",")];
  for (const row of rows) {
    lines.push(`${row.period},${row.product},${row.site_version},${row.title},${row.events}`);
  }
  return {
    csv: lines.join("\r\n") + "\r\n",
    filename: `ad-funnel_${range.from}_${range.to}_${granularity}.csv`,
  };
}
