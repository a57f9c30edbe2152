/**
 * Small network helpers of the bring-up: waiting for a service, free ports for private ones.
 *
 * @module
 */

export { isListening } from "../process/tcp_probe.ts";
import { sleep } from "../core/async.ts";

/** Polls `probe` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(options.intervalMs ?? 250);
  }
  throw new Error(`Timed out after ${options.timeoutMs / 1000} s waiting for ${what}`);
}

/**
 * A free TCP port on 127.0.0.1 for a service this project starts (a private broker or
 * Postgres, a test server). It is picked below the kernel's ephemeral range: a port in
 * that range can be taken, between our check and the service's bind, by any outgoing
 * connection's local end (a test opening thousands of sockets made a private broker
 * fail with "Address already in use"). Where no room is below the range, the OS picks.
 */
export function freePort(): number {
  return freePorts(1);
}

/**
 * A free port whose successor is free too: a private Kafka broker listens on `port`
 * and its controller on `port + 1`.
 */
export function freePortPair(): Promise<number> {
  return Promise.resolve(freePorts(2));
}

/**
 * `count` consecutive free ports, returning the first: a private cluster of n brokers
 * listens on `port`, `port + 2`, … and their controllers on the odd ones between.
 */
export function freePortRange(count: number): number {
  return freePorts(count);
}

/** Lowest port picked from (below it are well-known and registered services). */
const PICK_FROM = 20_000;

function freePorts(count: number): number {
  const below = ephemeralStart();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = below - PICK_FROM > 1_000
      ? PICK_FROM + Math.floor(Math.random() * (below - PICK_FROM - count))
      : osPort();
    if (port + count - 1 <= 65535 && canBind(port, count)) return port;
  }
  throw new Error(`Cannot find ${count} free consecutive port(s) on 127.0.0.1`);
}

function canBind(port: number, count: number): boolean {
  const listeners: Deno.Listener[] = [];
  try {
    for (let i = 0; i < count; i++) {
      listeners.push(Deno.listen({ hostname: "127.0.0.1", port: port + i }));
    }
    return true;
  } catch {
    return false;
  } finally {
    for (const listener of listeners) listener.close();
  }
}

function osPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The first port of the kernel's ephemeral range (Linux), or 32768. */
function ephemeralStart(): number {
  try {
    const first = Number(
      Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 0 ? first : 32_768;
  } catch {
    return 32_768;
  }
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
