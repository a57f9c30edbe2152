/**
 * Clean shutdown on SIGINT/SIGTERM: runs the registered steps once, in order, then
 * exits. A second signal while stopping exits at once.
 *
 * @module
 */

const steps: (() => Promise<void>)[] = [];
let stopping = false;
let installed = false;

/** Registers `step` to run on SIGINT/SIGTERM; the process exits 0 after all steps. */
export function onShutdown(step: () => Promise<void>): void {
  steps.push(step);
  if (installed) return;
  installed = true;
  const handle = async () => {
    if (stopping) Deno.exit(130);
    stopping = true;
    let failed = false;
    for (const run of steps) {
      try {
        await run();
      } catch (error) {
        failed = true;
        console.error("Shutdown step failed:", error);
      }
    }
    Deno.exit(failed ? 1 : 0);
  };
  Deno.addSignalListener("SIGINT", handle);
  Deno.addSignalListener("SIGTERM", handle);
}

/** True once a shutdown signal arrived (long loops check it to stop early). */
export function isShuttingDown(): boolean {
  return stopping;
}
