/**
 * `deno task web` as a child process (`deno run -A main.ts`), for tests that measure
 * the server from outside: its resident memory from `/proc/<pid>/status`, and what a
 * client sees over real sockets.
 *
 * @module
 */

/** A running web server process. */
export interface WebProcess extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  pid: number;
  /** The process's resident set size now, in bytes (`VmRSS`). */
  rss(): Promise<number>;
  /** SIGTERM and wait for the exit. */
  close(): Promise<void>;
  /** SIGKILL (a crash: nothing runs on the way out) and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `main.ts` with `env` (plus `PORT=0`) and waits for its "listening" line. */
export async function startWebProcess(env: Record<string, string>): Promise<WebProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname],
    env: { PORT: "0", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  let url: string | undefined;
  const deadline = Date.now() + 120_000;
  while (!url) {
    const { value, done } = await reader.read();
    if (done || Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`The web server did not start: ${output}`);
    }
    output += value;
    url = /listening on (http:\/\/[^\s]+)/.exec(output)?.[1];
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const close = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await drained.catch(() => {});
  };
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await drained.catch(() => {});
  };
  return {
    url,
    pid: child.pid,
    kill,
    async rss() {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
      if (!Number.isFinite(kb)) throw new Error(`Cannot read VmRSS of ${child.pid}`);
      return kb * 1024;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
