/**
 * Small network probes used to decide between "attach" and "bring up".
 *
 * @module
 */

export { isListening } from "../tcp_probe.ts";
import { isListening } from "../tcp_probe.ts";

/** Polls `probe` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
  throw new Error(`Timed out after ${options.timeoutMs / 1000} s waiting for ${what}`);
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * A free port whose successor is free too: a private Kafka broker listens on `port`
 * and its controller on `port + 1`.
 */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = freePort();
    if (port < 65535 && !await isListening("127.0.0.1", port + 1)) return port;
  }
  throw new Error("Cannot find two free consecutive ports for a private broker");
}

/** True when a process with `pid` runs (a zombie, exited but not reaped, does not). */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The state letter follows the parenthesized command name.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    // No /proc (not Linux): fall back to a signal probe. Deno.kill has no signal 0;
    // SIGCONT is a no-op for a running process.
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }
}
