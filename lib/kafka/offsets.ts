/**
 * A topic's offsets as Kafka sees them: per partition, the first offset still held and
 * the end offset (high watermark). Lag is not defined here: the ingest worker's stored
 * position lives in Postgres (`lib/ingest/status.ts`).
 *
 * @module
 */
import { type Admin, createKafka } from "./client.ts";

/** The offsets of one partition. */
export interface PartitionEnd {
  partition: number;
  /** The first offset still on the broker (retention may have dropped older ones). */
  low: number;
  /** The offset the next message will get (high watermark). */
  end: number;
}

/** Reads `topic`'s offsets through a connected `admin`, in partition order. */
export async function loadTopicEnds(admin: Admin, topic: string): Promise<PartitionEnd[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets
    .map(({ partition, low, high }) => ({ partition, low: Number(low), end: Number(high) }))
    .sort((a, b) => a.partition - b.partition);
}

/** {@linkcode loadTopicEnds} with a new admin client, disconnected afterwards. */
export async function topicEnds(brokers: string[], topic: string): Promise<PartitionEnd[]> {
  const admin = createKafka(brokers, { clientId: "ecommerce-offsets" }).admin();
  await admin.connect();
  try {
    return await loadTopicEnds(admin, topic);
  } finally {
    await admin.disconnect();
  }
}
