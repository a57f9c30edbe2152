/**
 * `deno task sessions [--revoke]`: lists the dashboard's live sessions (who signed in,
 * from where, when last seen, and whether under the current `DASHBOARD_TOKEN`);
 * `--revoke` ends all of them. Web processes notice within their session cache time
 * (5 s); the browsers are sent to /login on their next request.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { prepare } from "../lib/process/prepare.ts";
import { createDashboardAuth } from "../lib/web/auth.ts";
import { readConfig } from "../lib/process/config.ts";
import { connect } from "../lib/db/client.ts";
import { runMain } from "../lib/process/run_main.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { revoke: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log("Usage: deno task sessions [--revoke]");
    return 0;
  }
  const config = readConfig();
  const ready = await prepare(config);
  const sql = connect(ready.databaseUrl, { max: 1, applicationName: "ecommerce-sessions" });
  try {
    const auth = createDashboardAuth(sql, { token: config.dashboardToken });
    if (values.revoke) {
      const ended = await auth.sessions.revokeAll();
      console.log(`Revoked ${ended} dashboard session${ended === 1 ? "" : "s"}`);
      return 0;
    }
    const sessions = await auth.sessions.list(auth.tokenDigest);
    console.log(`${sessions.length} live dashboard session${sessions.length === 1 ? "" : "s"}`);
    for (const s of sessions) {
      console.log(
        [
          s.id,
          `created ${s.createdAt.toISOString()}`,
          `last seen ${s.lastSeenAt.toISOString()}`,
          `expires ${s.expiresAt.toISOString()}`,
          s.clientAddress,
          s.currentToken ? "current token" : "other token (refused)",
          JSON.stringify(s.userAgent),
        ].join("  "),
      );
    }
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) await runMain(main);
