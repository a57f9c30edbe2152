/**
 * How every task's entry point ends: the exit code `main` returns, or a running process
 * when it returns nothing (a server or worker stopped by its shutdown hooks); a thrown
 * error prints its message alone (tasks throw errors written for people) and exits 1.
 *
 * @module
 */

/** Options of {@linkcode runMain}. */
export interface RunMainOptions {
  /** Printed after the error (a task whose errors are mostly bad arguments). */
  usage?: string;
  /** The exit code of a thrown error; default 1. */
  failureCode?: number;
}

/** Runs `main` as the process's entry point. */
export async function runMain(
  main: () => Promise<number | void>,
  options: RunMainOptions = {},
): Promise<void> {
  try {
    const code = await main();
    if (typeof code === "number") Deno.exit(code);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    if (options.usage) console.error(options.usage);
    Deno.exit(options.failureCode ?? 1);
  }
}
