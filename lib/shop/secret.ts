/**
 * The shop's signing secret (impression ids, form tokens, order receipts): from
 * `IMPRESSION_SECRET`, else generated once into `.data/impression_secret` so every web
 * process on this machine shares it and it survives restarts.
 *
 * @module
 */
import { sleep } from "../core/async.ts";

/** Where the generated secret lives when `IMPRESSION_SECRET` is not set. */
export const SECRET_FILE = new URL("../../.data/impression_secret", import.meta.url);

let cached: Promise<Uint8Array> | undefined;

/**
 * Returns the secret: `configured` (the configuration's `IMPRESSION_SECRET`, already
 * checked there) when set, else the contents of {@linkcode SECRET_FILE}, creating it
 * with 32 random bytes when missing.
 */
export function readSecret(configured?: string): Promise<Uint8Array> {
  if (configured) return Promise.resolve(new TextEncoder().encode(configured));
  cached ??= readSecretFile();
  return cached;
}

async function readSecretFile(): Promise<Uint8Array> {
  await Deno.mkdir(new URL("../", SECRET_FILE), { recursive: true });
  const fresh = Array.from(crypto.getRandomValues(new Uint8Array(32)), hex).join("");
  try {
    // createNew: when several processes start at once, exactly one writes it.
    await Deno.writeTextFile(SECRET_FILE, fresh, { createNew: true, mode: 0o600 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  // Read back (another process may have won the race); retry briefly if it is still
  // being written.
  for (let attempt = 0; attempt < 20; attempt++) {
    const text = (await Deno.readTextFile(SECRET_FILE)).trim();
    if (text.length >= 32) return new TextEncoder().encode(text);
    await sleep(50);
  }
  throw new Error(`Cannot read the secret in "${SECRET_FILE.pathname}": the file is too short`);
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
