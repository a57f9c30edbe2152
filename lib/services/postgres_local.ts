/**
 * Brings up a private PostgreSQL from the machine's `initdb`/`pg_ctl` into
 * `.data/postgres[-PORT]/` (trust auth on 127.0.0.1 only), for machines where none runs.
 *
 * @module
 */
import { REPO_ROOT } from "./kafka_local.ts";
import { isListening, waitFor } from "./net.ts";
import { run } from "./spawn.ts";

/** A Postgres cluster this module started. */
export interface LocalPostgres {
  port: number;
  dataDir: string;
  logFile: string;
  /** The superuser to connect as. */
  user: string;
  /** Run pg_ctl as this OS user (Postgres refuses to run as root). */
  osUser?: string;
}

/** Finds the newest `initdb`, on PATH or in Debian's /usr/lib/postgresql/N/bin. */
export async function findPostgresBin(): Promise<string | undefined> {
  const candidates: string[] = [];
  try {
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      if (/^\d+$/.test(entry.name)) candidates.push(entry.name);
    }
  } catch { /* not Debian-style: try PATH below */ }
  candidates.sort((a, b) => Number(b) - Number(a));
  for (const version of candidates) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (await Deno.stat(`${dir}/initdb`).then(() => true, () => false)) return dir;
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await Deno.stat(`${dir}/initdb`).then(() => true, () => false)) return dir;
  }
  return undefined;
}

function isRoot(): boolean {
  return Deno.uid?.() === 0;
}

/** The data directory for a cluster on `port` (the default port keeps the plain name). */
export function postgresDataDir(port: number): string {
  return new URL(port === 5432 ? ".data/postgres" : `.data/postgres-${port}`, REPO_ROOT).pathname;
}

/** Runs `args` as `osUser` when given (via runuser), else as ourselves. */
function asUser(osUser: string | undefined, command: string, args: string[]) {
  // setsid: the server must not share our terminal's process group, so Ctrl-C reaches
  // only the supervisor, which stops it last, after the processes that use it.
  const user = osUser ? ["runuser", "-u", osUser, "--"] : [];
  return run("setsid", [...user, command, ...args]);
}

/** Initializes (first time) and starts a cluster on `port`; waits until it accepts. */
export async function startLocalPostgres(
  options: { port: number; onProgress?: (line: string) => void },
): Promise<LocalPostgres> {
  const bin = await findPostgresBin();
  if (!bin) throw new Error("Cannot find initdb: install PostgreSQL (apt-get install postgresql)");
  const dataDir = postgresDataDir(options.port);
  const osUser = isRoot() ? "postgres" : undefined;
  const user = "postgres";
  const logFile = `${dataDir}.log`;
  await Deno.mkdir(dataDir, { recursive: true });
  if (osUser) await run("chown", ["-R", osUser, dataDir]);
  const initialized = await Deno.stat(`${dataDir}/PG_VERSION`).then(() => true, () => false);
  if (!initialized) {
    options.onProgress?.(`Initializing PostgreSQL in ${dataDir}…`);
    await asUser(osUser, `${bin}/initdb`, [
      "-D",
      dataDir,
      "-U",
      user,
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--no-instructions",
    ]);
  }
  await Deno.writeTextFile(logFile, "", { append: true });
  if (osUser) await run("chown", [osUser, logFile]);
  options.onProgress?.(`Starting PostgreSQL on 127.0.0.1:${options.port} (log ${logFile})…`);
  await asUser(osUser, `${bin}/pg_ctl`, [
    "-D",
    dataDir,
    "-l",
    logFile,
    "-w",
    "-t",
    "60",
    "-o",
    `-p ${options.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='${dataDir}' -c max_connections=200 -c fsync=on`,
    "start",
  ]);
  await waitFor(
    `PostgreSQL on 127.0.0.1:${options.port}`,
    () => isListening("127.0.0.1", options.port),
    { timeoutMs: 30_000 },
  );
  return { port: options.port, dataDir, logFile, user, osUser };
}

/** Stops a cluster started by {@linkcode startLocalPostgres} (fast mode: rolls back clients). */
export async function stopLocalPostgres(cluster: LocalPostgres): Promise<void> {
  const bin = await findPostgresBin();
  if (!bin) return;
  await asUser(cluster.osUser, `${bin}/pg_ctl`, ["-D", cluster.dataDir, "-m", "fast", "-w", "stop"])
    .catch((error) => {
      if (!String(error).includes("not running") && !String(error).includes("does not exist")) {
        throw error;
      }
    });
}
