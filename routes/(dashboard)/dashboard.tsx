import type { AppState } from "../../lib/web/app_state.ts";
import { orBusy, readSummary } from "../../lib/web/dashboard_request.ts";
import type { Summary } from "../../lib/dashboard/model.ts";
import type { Handlers, PageProps } from "../../server/mod.ts";
import DashboardView from "../../islands/DashboardView.tsx";
import ExplorePanel from "../../islands/ExplorePanel.tsx";

/** `GET /dashboard?range=&from=&to=&product=&site_version=`: the live dashboard. */
export const handler: Handlers<AppState> = {
  GET({ url, state }) {
    return orBusy(async () => {
      const summary = await readSummary(state, url);
      return { data: summary, headers: { "cache-control": "no-store" } };
    });
  },
};

/** The page: real numbers in the HTML, then islands take over. */
export default function Dashboard({ data, state }: PageProps<Summary, AppState>) {
  return (
    <main class="page dashboard">
      <link rel="stylesheet" href="/vendor/uPlot.min.css" />
      <link rel="stylesheet" href="/dashboard.css" />
      <DashboardView initial={data} />
      <ExplorePanel range={data.range} />
      {state.auth.token
        ? (
          <form method="post" action="/logout" class="sign-out">
            <button type="submit" data-testid="sign-out">Sign out</button>
          </form>
        )
        : null}
    </main>
  );
}
