/**
 * Whether something listens on a TCP port: how an entry point that only attaches tells
 * "no Postgres or Kafka here" fast, before a client library's retries would.
 *
 * @module
 */

/** True when something accepts TCP connections on `host:port` within `timeoutMs`. */
export async function isListening(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const connection = await Promise.race([
      Deno.connect({ hostname: host, port }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
      }),
    ]);
    connection.close();
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
