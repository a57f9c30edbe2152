/**
 * The connection guard in a Web Worker, so its socket work (every byte crosses it twice)
 * runs on another core than the routes: measured on the 2-core development machine, the
 * main thread then spends about what it spends without a guard per request (see
 * docs/benchmarks.md). The parent side is {@linkcode startGuardWorker}; a worker module
 * calls {@linkcode runGuardWorker}, with `extend` to add what cannot be posted to a
 * worker (functions such as `isSharedPeer`, built from posted data).
 *
 * @module
 */
import {
  type ConnectionGuardOptions,
  type GuardStats,
  startConnectionGuard,
} from "./conn_guard.ts";

/** The guard's options that can be posted: all but the functions. */
export type PostableGuardOptions = Omit<ConnectionGuardOptions, "isSharedPeer">;

/** Builds the functions of the guard's options from the data posted with them. */
export type GuardExtension = (data: unknown) => Partial<ConnectionGuardOptions>;

/** A guard running in a worker. */
export interface WorkerGuard {
  readonly addr: Deno.NetAddr;
  stats(): Promise<GuardStats>;
  stopAccepting(): Promise<void>;
  /** Closes the guard (as `ConnectionGuard.close`) and ends the worker. */
  close(graceMs?: number): Promise<void>;
}

type Command =
  | { id: number; type: "start"; options: PostableGuardOptions; data: unknown }
  | { id: number; type: "stats" | "stopAccepting" }
  | { id: number; type: "close"; graceMs?: number };

type Reply = { id: number; ok: true; value?: unknown } | {
  id: number;
  ok: false;
  name: string;
  message: string;
};

/**
 * Starts the worker module at `url` (one that calls {@linkcode runGuardWorker}) and the
 * guard in it; resolves once it listens, rejects as the guard would (e.g. port in use).
 */
export async function startGuardWorker(
  url: URL,
  options: PostableGuardOptions,
  data?: unknown,
  hooks: { onFailure?: (error: Error) => void } = {},
): Promise<WorkerGuard> {
  const worker = new Worker(url, { type: "module", name: "connection guard" });
  const waiting = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  let next = 0;
  worker.onmessage = (event: MessageEvent<Reply>) => {
    const reply = event.data;
    const waiter = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.ok) waiter?.resolve(reply.value);
    else waiter?.reject(rebuildError(reply.name, reply.message));
  };
  worker.onerror = (event) => {
    event.preventDefault();
    const error = new Error(`The connection guard's worker failed: ${event.message}`);
    for (const waiter of waiting.values()) waiter.reject(error);
    waiting.clear();
    console.error(error.message);
    if (started && !ended) hooks.onFailure?.(error);
    // A dead worker answers nothing: later calls fail at once, close() only terminates.
    ended = true;
  };
  let started = false;
  let ended = false;
  const call = <T>(command: Omit<Command, "id"> & Partial<Command>): Promise<T> => {
    if (ended) return Promise.reject(new Error("The connection guard's worker has ended"));
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...command, id });
    });
  };
  let addr: Deno.NetAddr;
  try {
    addr = await call<Deno.NetAddr>({ type: "start", options, data });
    started = true;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    addr,
    stats: () => call<GuardStats>({ type: "stats" }),
    // Nothing to stop once the worker is gone.
    stopAccepting: () => ended ? Promise.resolve() : call<void>({ type: "stopAccepting" }),
    close(graceMs?: number) {
      closed ??= (ended ? Promise.resolve() : call<void>({ type: "close", graceMs })).finally(
        () => {
          ended = true;
          worker.terminate();
        },
      );
      return closed;
    },
  };
}

/** The worker side: runs the guard on the parent's commands. Call once, at the top level. */
export function runGuardWorker(extend?: GuardExtension): void {
  let guard: ReturnType<typeof startConnectionGuard> | undefined;
  const scope = self as unknown as {
    onmessage: (event: MessageEvent<Command>) => void;
    postMessage(reply: Reply): void;
  };
  // A stray rejection must not end the worker: every connection of the server goes with it.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    console.error("The connection guard ignored an error:", event.reason);
  });
  scope.onmessage = async (event) => {
    const command = event.data;

    try {
      let value: unknown;
      if (command.type === "start") {
        guard = startConnectionGuard({ ...command.options, ...extend?.(command.data) });
        value = guard.addr;
      } else if (command.type === "stats") {
        value = guard?.stats();
      } else if (command.type === "stopAccepting") {
        guard?.stopAccepting();
      } else if (command.type === "close") {
        await guard?.close(command.graceMs);
      }
      scope.postMessage({ id: command.id, ok: true, value });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      scope.postMessage({ id: command.id, ok: false, name, message });
    }
  };
}

/** The worker's error as the parent's: `Deno.errors.AddrInUse` stays one. */
function rebuildError(name: string, message: string): Error {
  const type = (Deno.errors as unknown as Record<string, (new (m: string) => Error) | undefined>)[
    name
  ];
  const error = type ? new type(message) : new Error(message);
  if (!type) error.name = name;
  return error;
}
