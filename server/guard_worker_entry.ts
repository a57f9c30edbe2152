/**
 * A worker module running the connection guard with posted options only (no shared
 * peers): `startGuardWorker(new URL("./guard_worker_entry.ts", import.meta.url), …)`.
 *
 * @module
 */
import { runGuardWorker } from "./guard_worker.ts";

runGuardWorker();
