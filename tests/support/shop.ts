/**
 * Helpers for the shop's integration tests: a web server on a fresh database and
 * topic, a reader that collects what reached the topic, and a tiny cookie-keeping
 * HTTP client.
 *
 * @module
 */
import { reasonOf } from "./errors.ts";
import { type Config, readConfig } from "../../lib/process/config.ts";
import { type Consumer, createKafka } from "../../lib/kafka/client.ts";
import { type EcommerceEvent, parseEventMessage } from "../../lib/core/event.ts";
import { startWebServer, type WebServer } from "../../main.ts";
import { createTestDatabase, type TestDatabase } from "./services.ts";

/** A desktop browser's User-Agent. */
export const DESKTOP_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/** A phone's User-Agent. */
export const PHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/** A web server on its own database, producing to `topic`. */
export interface TestShop extends AsyncDisposable {
  web: WebServer;
  db: TestDatabase;
  close(): Promise<void>;
}

/**
 * Starts the web server in-process on port 0, on a fresh database; `config` overrides
 * the defaults (tight limits, `trustProxy`…).
 */
export async function startTestShop(
  topic: string,
  kafkaBrokers: string[],
  config: Partial<Config> = {},
): Promise<TestShop> {
  const db = await createTestDatabase("shop");
  const web = await startWebServer({
    config: { ...readConfig({}), port: 0, kafkaTopic: topic, ...config },
    databaseUrl: db.url,
    kafkaBrokers,
  });
  const close = async () => {
    await web.close();
    await db.close();
  };
  return { web, db, close, [Symbol.asyncDispose]: close };
}

/** An event read back from the topic, with its message key. */
export interface ReadEvent extends EcommerceEvent {
  key: string;
}

/**
 * Collects every message of a topic from the beginning (a fresh consumer group). The
 * topic is at-least-once: a producer re-send after an ambiguous failure puts a batch on
 * it twice. So {@linkcode events} holds each event once (its first copy, by `order_id`),
 * which is what tests assert on, and {@linkcode duplicates} counts the extra copies.
 */
export class TopicReader implements AsyncDisposable {
  /** Distinct events in the order their first copy was read. */
  readonly events: ReadEvent[] = [];
  /** Messages that were not valid events (must stay empty). */
  readonly invalid: string[] = [];
  /** Messages read in all, copies included. */
  messages = 0;
  #seen = new Set<string>();
  #consumer: Consumer;

  private constructor(consumer: Consumer) {
    this.#consumer = consumer;
  }

  /** Starts reading `topic` from its first offset. */
  static async start(brokers: string[], topic: string): Promise<TopicReader> {
    const consumer = createKafka(brokers, { clientId: "shop-test-reader", quiet: true }).consumer({
      groupId: `shop-test-${crypto.randomUUID()}`,
      maxWaitTimeInMs: 100,
    });
    const reader = new TopicReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        reader.messages++;
        const parsed = parseEventMessage(message.value);
        if (!parsed.ok) reader.invalid.push(parsed.reason);
        else if (!reader.#seen.has(parsed.value.order_id)) {
          reader.#seen.add(parsed.value.order_id);
          reader.events.push({ ...parsed.value, key: message.key?.toString() ?? "" });
        }
        return Promise.resolve();
      },
    });
    return reader;
  }

  /** Copies of events already read (producer re-sends; the worker absorbs them). */
  get duplicates(): number {
    return this.messages - this.invalid.length - this.events.length;
  }

  /** The events of one visitor, in topic order (one key, one partition). */
  of(userId: string): ReadEvent[] {
    return this.events.filter((event) => event.user_id === userId);
  }

  /** Waits until `predicate` holds over the events read so far. */
  async waitFor(
    what: string,
    predicate: (events: ReadEvent[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${what}; read ${this.events.length} events`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the consumer. */
  async close(): Promise<void> {
    await this.#consumer.disconnect();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A minimal browser stand-in: keeps the visitor cookie, sends a User-Agent and, when
 * `address` is given, `X-Forwarded-For: <address>` (for a shop that trusts loopback as
 * its proxy: then that is the client's address).
 */
export class Visitor {
  cookie = "";

  constructor(
    readonly base: string,
    readonly userAgent = DESKTOP_UA,
    readonly address?: string,
  ) {}

  /** The visitor's `user_id`: the id part of the signed cookie the server set. */
  get userId(): string {
    return /user_id=([0-9a-f]{32})/.exec(this.cookie)?.[1] ?? "";
  }

  /** Sends a request with the cookie and User-Agent; keeps a cookie the server sets. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("user-agent", this.userAgent);
    if (this.address && !headers.has("x-forwarded-for")) {
      headers.set("x-forwarded-for", this.address);
    }
    if (this.cookie && !headers.has("cookie")) headers.set("cookie", this.cookie);
    const response = await fetch(new URL(path, this.base), {
      redirect: "manual",
      ...init,
      headers,
    });
    const set = response.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0];
    return response;
  }

  /** Opens the front page; returns its impression id and the ad's link. */
  async openFrontPage(): Promise<{ impression: string; href: string; product: string }> {
    const response = await this.fetch("/");
    const html = await response.text();
    if (response.status !== 200) throw new Error(`GET / answered ${response.status}`);
    const href = /data-testid="ad-banner"/.test(html)
      ? /<a class="ad" href="([^"]+)"/.exec(html)?.[1]
      : undefined;
    if (!href) throw new Error("The front page has no ad link");
    const url = new URL(href.replaceAll("&amp;", "&"), this.base);
    return {
      impression: url.searchParams.get("i")!,
      href: url.pathname + url.search,
      product: url.pathname.split("/").pop()!,
    };
  }

  /** Posts the beacon for `impression` from this server's origin (as the island does). */
  beacon(impression: unknown, init: { origin?: string | null; body?: string } = {}) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    const origin = init.origin === undefined ? this.base : init.origin;
    if (origin !== null) headers.origin = origin;
    return this.fetch("/api/collect", {
      method: "POST",
      headers,
      body: init.body ?? JSON.stringify({ impression }),
    });
  }

  /** Opens a product page and returns the form token it carries. */
  async formToken(product: string): Promise<string> {
    const html = await (await this.fetch(`/product/${product}`)).text();
    const token = /name="csrf" value="([0-9a-f]{16}\.[0-9a-z]+\.[0-9a-f]{32})"/.exec(html)?.[1];
    if (!token) throw new Error(`No form token on /product/${product}`);
    return token;
  }

  /** Posts the order form with `fields`. */
  order(fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.fetch("/order", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: this.base,
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Places a valid order for `product`; returns its order id (from the redirect). */
  async placeOrder(product: string): Promise<string> {
    const csrf = await this.formToken(product);
    const response = await this.order({ csrf, product });
    await response.body?.cancel();
    if (response.status !== 303) throw new Error(`POST /order answered ${response.status}`);
    return /^\/order\/([0-9a-f]{32})\?/.exec(response.headers.get("location") ?? "")![1];
  }
}

/** The reason on `POST /order`'s refusal (the error page; "" when it has none). */
export async function orderRefusal(response: Response): Promise<string> {
  const html = await response.text();
  return html.includes('data-testid="error-message"') ? reasonOf(html) : "";
}
