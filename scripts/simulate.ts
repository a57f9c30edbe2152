/**
 * `deno task simulate [--rate 200] [--duration 60s] [--users 5000]`: synthetic shop
 * visitors, sent through the shop's own producer module: about `--rate` events per
 * second for `--duration` (`0` runs until Ctrl-C), from `--users` visitors. Prints
 * events/s every second.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readConfig } from "../lib/process/config.ts";
import { prepare } from "../lib/process/prepare.ts";
import { createEventProducer } from "../lib/shop/producer.ts";
import { isShuttingDown, onShutdown } from "../lib/process/shutdown.ts";
import { createUsers, parseDuration, simulateVisit } from "../lib/synth/traffic.ts";
import { runMain } from "../lib/process/run_main.ts";

const USAGE = "Usage: deno task simulate [--rate 200] [--duration 60s] [--users 5000]";

function positive(name: string, text: string, integer = false): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(
      `Invalid --${name} "${text}": expected a positive ${integer ? "whole " : ""}number`,
    );
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rate: { type: "string", default: "200" },
      duration: { type: "string", default: "60s" },
      users: { type: "string", default: "5000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  const rate = positive("rate", values.rate);
  const durationMs = parseDuration(values.duration);
  const users = createUsers(positive("users", values.users, true));
  const config = readConfig();
  const ready = await prepare(config);
  const producer = createEventProducer({ brokers: ready.kafkaBrokers, topic: ready.topic });
  let stopped = false;
  onShutdown(async () => {
    stopped = true;
    await producer.close();
  });
  console.error(
    `simulate: ~${rate} events/s from ${users.length} visitors to "${ready.topic}" ${
      durationMs ? `for ${values.duration}` : "until Ctrl-C"
    }`,
  );
  const started = performance.now();
  let sent = 0;
  let budget = 0;
  let lastTick = started;
  let lastReport = started;
  let sentAtReport = 0;
  while (!stopped && !isShuttingDown()) {
    const now = performance.now();
    if (durationMs && now - started >= durationMs) break;
    // Falling behind (a slow broker) lowers the rate shown rather than bursting later.
    budget = Math.min(budget + ((now - lastTick) / 1000) * rate, rate / 10 + 3);
    lastTick = now;
    const wall = new Date();
    while (budget >= 1) {
      // Never outrun Kafka into drops: wait while the producer's queue is half full.
      await producer.room();
      const user = users[Math.floor(Math.random() * users.length)];
      for (const event of simulateVisit(user, wall)) {
        producer.send(event);
        sent++;
        budget--;
      }
    }
    if (now - lastReport >= 1000) {
      const stats = producer.stats();
      const perSecond = ((sent - sentAtReport) * 1000) / (now - lastReport);
      console.error(
        `simulate: ${((now - started) / 1000).toFixed(0)}s ${perSecond.toFixed(0)} events/s ` +
          `(sent ${sent}, delivered ${stats.delivered}, queued ${stats.queued}, dropped ${stats.dropped})`,
      );
      lastReport = now;
      sentAtReport = sent;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (stopped) return;
  const seconds = (performance.now() - started) / 1000;
  await producer.close(30_000);
  const stats = producer.stats();
  console.error(
    `simulate: done: ${sent} events in ${seconds.toFixed(1)} s (${
      (sent / seconds).toFixed(0)
    } events/s), ` +
      `delivered ${stats.delivered}, dropped ${stats.dropped}`,
  );
  if (stats.delivered < sent) Deno.exit(1);
}

if (import.meta.main) await runMain(main);
