/**
 * Starts a long-running service process in its own session, with output appended to
 * a log file, so it outlives the command that started it (`deno task services`) and
 * Ctrl-C in the terminal reaches only our supervisor, which stops services in order.
 *
 * @module
 */

/** Options for {@linkcode spawnDaemon}. */
export interface DaemonOptions {
  /** Appends stdout and stderr here. */
  logFile: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/** Spawns `command args…` detached (setsid), returning its pid. */
export function spawnDaemon(command: string, args: string[], options: DaemonOptions): number {
  // `exec` keeps the pid we get equal to the service's own pid.
  const script = `exec "$0" "$@" >>"${options.logFile.replaceAll('"', '\\"')}" 2>&1 </dev/null`;
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", script, command, ...args],
    env: options.env,
    cwd: options.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  return child.pid;
}

/** Runs a command to completion; throws with its output when it fails. */
export async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const output = await new Deno.Command(command, { args, ...options, stdin: "null" }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) {
    throw new Error(`Command failed: ${command} ${args.join(" ")}: ${text.trim().slice(-2000)}`);
  }
  return text;
}

/** True when `command` is on PATH and runs. */
export async function hasCommand(command: string, args = ["--version"]): Promise<boolean> {
  try {
    const output = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return output.success;
  } catch {
    return false;
  }
}
