/**
 * The replay's timing: rows keep their relative timing, scaled by a speed factor
 * (`max`: no waiting), anchored so the first row is sent at once; optionally every
 * timestamp is moved by one constant so the first row is "now". Pure.
 *
 * @module
 */

/** How fast to replay: a factor over real time, or `max` for as fast as possible. */
export type Speed = number | "max";

/** Parses `--speed`: a positive number or `max`. */
export function parseSpeed(text: string): Speed {
  if (text.trim().toLowerCase() === "max") return "max";
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`Invalid --speed "${text}": expected a positive number or "max"`);
  }
  return value;
}

/** Maps data time to wall-clock send time; the first row seen anchors both. */
export class ReplayClock {
  readonly speed: Speed;
  #dataStart: number | undefined;
  #wallStart: number | undefined;

  constructor(speed: Speed) {
    this.speed = speed;
  }

  /**
   * How long to wait (ms, 0 when due or late) before sending a row whose time is
   * `eventMs`, at wall-clock time `nowMs`. Rows earlier than the first are due at once.
   */
  delay(eventMs: number, nowMs: number): number {
    if (this.#dataStart === undefined || this.#wallStart === undefined) {
      this.#dataStart = eventMs;
      this.#wallStart = nowMs;
    }
    if (this.speed === "max") return 0;
    const due = this.#wallStart + (eventMs - this.#dataStart) / this.speed;
    return Math.max(0, due - nowMs);
  }

  /** The data time of the first row (undefined before any). */
  get dataStart(): number | undefined {
    return this.#dataStart;
  }
}

/**
 * The constant shift that moves `firstEventMs` to `nowMs`; adding it to every row's
 * time keeps their spacing (so with `--speed` above 1 later rows are in the future).
 */
export function shiftToNow(firstEventMs: number, nowMs: number): number {
  return nowMs - firstEventMs;
}
