/**
 * How much one client can make the shop count: a token bucket per visitor and one per
 * client address for each action that emits an event (`show`, `click`, `order`), and
 * no count at all for known bots. An action is charged to both buckets only when both
 * allow it; a refused action is never written as an event, only counted here (shown in
 * `/healthz`). The reasoning behind the defaults is in docs/shop.md ("Limits").
 *
 * A limit `N/period` is a bucket of N tokens refilled at N per period: a client may do
 * N at once, then N per period. Buckets live in this process's memory, at most
 * `maxKeys` per limit (least recently seen forgotten first); behind a load balancer
 * each web process applies the limits on its own.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import { TokenBuckets } from "../core/rate_limit.ts";

/** The actions that emit an event, each limited. */
export const LIMITED_ACTIONS = ["show", "click", "order"] as const;
/** One of {@linkcode LIMITED_ACTIONS}. */
export type LimitedAction = typeof LIMITED_ACTIONS[number];

/** `count` per `periodMs`, with a burst of `count`. */
export interface Limit {
  count: number;
  periodMs: number;
}

/** A limit for each action. */
export type Limits = Record<LimitedAction, Limit>;

const UNIT_MS = { s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const LIMIT_PATTERN = /^(\d{1,9})\/(\d{0,6})(s|min|h|d)$/;

/**
 * Parses `show=60/10min,click=30/10min,order=10/h` (any subset; the others keep
 * `defaults`). Periods are `s`, `min`, `h` or `d`, optionally with a number (`10min`).
 * Throws an `Error` whose message says what is wrong.
 */
export function parseLimits(text: string, defaults: Limits): Limits {
  const limits = { ...defaults };
  for (const entry of text.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const eq = entry.indexOf("=");
    const action = entry.slice(0, eq).trim();
    if (eq < 0 || !(LIMITED_ACTIONS as readonly string[]).includes(action)) {
      throw new Error(`expected show, click or order=N/period, got "${entry}"`);
    }
    const value = entry.slice(eq + 1).trim();
    const match = LIMIT_PATTERN.exec(value);
    const count = Number(match?.[1]);
    const periodMs = Number(match?.[2] || 1) * UNIT_MS[match?.[3] as keyof typeof UNIT_MS];
    if (!match || count < 1 || !(periodMs > 0)) {
      throw new Error(
        `expected ${action}=N/period with N at least 1 and a period in s, min, h or d ` +
          `(e.g. 30/10min), got "${value}"`,
      );
    }
    limits[action as LimitedAction] = { count, periodMs };
  }
  return limits;
}

/** `count/period` as {@linkcode parseLimits} reads it (for `/healthz` and messages). */
export function formatLimit(limit: Limit): string {
  for (const unit of ["d", "h", "min", "s"] as const) {
    if (limit.periodMs % UNIT_MS[unit] === 0) {
      const n = limit.periodMs / UNIT_MS[unit];
      return `${limit.count}/${n === 1 ? "" : n}${unit}`;
    }
  }
  return `${limit.count}/${limit.periodMs / 1000}s`;
}

/** Per visitor (one browser): see docs/shop.md for why. */
export const DEFAULT_VISITOR_LIMITS: Limits = {
  show: { count: 60, periodMs: 10 * UNIT_MS.min },
  click: { count: 30, periodMs: 10 * UNIT_MS.min },
  order: { count: 10, periodMs: UNIT_MS.h },
};

/** Per client address (a household, an office, a carrier's NAT): ten visitors' worth. */
export const DEFAULT_ADDRESS_LIMITS: Limits = {
  show: { count: 600, periodMs: 10 * UNIT_MS.min },
  click: { count: 300, periodMs: 10 * UNIT_MS.min },
  order: { count: 100, periodMs: UNIT_MS.h },
};

/** Keys remembered per limit by default (about 140 bytes each, seven limits: under 20 MB). */
export const DEFAULT_LIMIT_KEYS = 20_000;

/** The configuration of {@linkcode ShopLimits}. */
export interface ShopLimitsConfig {
  visitor: Limits;
  address: Limits;
  /** Keys remembered per limit. */
  maxKeys: number;
}

/** Who acts: the verified visitor, the client's address, whether it is a known bot. */
export interface LimitedActor {
  userId: string;
  address: string;
  isBot: boolean;
}

/** Whether an action may count, and if not, why. */
export type Admission =
  | { ok: true }
  | { ok: false; refusal: "bot" }
  | {
    ok: false;
    refusal: "throttled";
    /** Which limit refused it (the visitor's is checked first). */
    by: "visitor" | "address";
    limit: Limit;
    /** Seconds until the action would be allowed again. */
    retryAfterSeconds: number;
  };

/** What `/healthz` shows: refused actions since start, and the limits in force. */
export interface ShopLimitStats {
  throttled: {
    show: number;
    click: number;
    order: number;
    /** Actions of known bots (any kind), not counted. */
    bot: number;
    /** Requests to `/api/collect` refused by its per-address flood limit. */
    beacon: number;
  };
  limits: { visitor: Record<LimitedAction, string>; address: Record<LimitedAction, string> };
}

/**
 * The limit key of a client address: IPv4 as is (also when written IPv4-mapped), IPv6
 * by its /64 (one subscriber's network: a client can pick any address inside it).
 */
export function addressKey(address: string): string {
  const trimmed = address.slice(0, 64);
  if (!ipaddr.isValid(trimmed)) return trimmed;
  const parsed = ipaddr.process(trimmed);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(":")}::/64`;
}

/** The shop's per-visitor and per-address limits and what they refused. */
export class ShopLimits {
  readonly #config: ShopLimitsConfig;
  readonly #visitor: Record<LimitedAction, TokenBuckets>;
  readonly #address: Record<LimitedAction, TokenBuckets>;
  readonly #beacons: TokenBuckets;
  readonly #throttled = { show: 0, click: 0, order: 0, bot: 0, beacon: 0 };

  /** `now` is the clock (tests pass their own). */
  constructor(config: ShopLimitsConfig, now: () => number = Date.now) {
    this.#config = config;
    const buckets = (limits: Limits) =>
      Object.fromEntries(LIMITED_ACTIONS.map((action) => {
        const { count, periodMs } = limits[action];
        return [
          action,
          new TokenBuckets({
            burst: count,
            perSecond: count / (periodMs / 1000),
            maxKeys: config.maxKeys,
            now,
          }),
        ];
      })) as Record<LimitedAction, TokenBuckets>;
    this.#visitor = buckets(config.visitor);
    this.#address = buckets(config.address);
    // The beacon endpoint's own flood limit (any report, valid or not): 30 at once,
    // 10 per second per address; far above one page's one beacon.
    this.#beacons = new TokenBuckets({ burst: 30, perSecond: 10, maxKeys: config.maxKeys, now });
  }

  /**
   * Decides whether `actor`'s `action` may count, and charges it to the visitor's and
   * the address's bucket when it may. A refusal is counted in {@linkcode stats}.
   */
  admit(action: LimitedAction, actor: LimitedActor): Admission {
    if (actor.isBot) {
      this.#throttled.bot++;
      return { ok: false, refusal: "bot" };
    }
    const address = addressKey(actor.address);
    const checks = [
      { by: "visitor" as const, buckets: this.#visitor[action], key: actor.userId },
      { by: "address" as const, buckets: this.#address[action], key: address },
    ];
    for (const check of checks) {
      const waitMs = check.buckets.waitMs(check.key);
      if (waitMs > 0) {
        this.#throttled[action]++;
        return {
          ok: false,
          refusal: "throttled",
          by: check.by,
          limit: this.#config[check.by][action],
          retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        };
      }
    }
    for (const check of checks) check.buckets.take(check.key);
    return { ok: true };
  }

  /** The beacon endpoint's flood limit per address; false (and counted) when over it. */
  admitReport(address: string): boolean {
    const key = addressKey(address);
    if (this.#beacons.waitMs(key) > 0) {
      this.#throttled.beacon++;
      return false;
    }
    this.#beacons.take(key);
    return true;
  }

  /** Refusals since start and the limits in force. */
  stats(): ShopLimitStats {
    const format = (limits: Limits) =>
      Object.fromEntries(LIMITED_ACTIONS.map((a) => [a, formatLimit(limits[a])])) as Record<
        LimitedAction,
        string
      >;
    return {
      throttled: { ...this.#throttled },
      limits: { visitor: format(this.#config.visitor), address: format(this.#config.address) },
    };
  }
}
