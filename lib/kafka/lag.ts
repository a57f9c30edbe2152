/**
 * Consumer lag as Kafka sees it: per partition, the end offset minus the group's
 * committed offset (what a restarted worker would re-read from). Independent of the
 * workers, so it is right even when none is running.
 *
 * @module
 */
import { type Admin, createKafka } from "./client.ts";

/** Lag of one partition. */
export interface PartitionLag {
  partition: number;
  /** The group's committed offset (null when it never committed). */
  committed: number | null;
  /** The partition's end offset (high watermark). */
  end: number;
  /** Messages not yet committed by the group. */
  lag: number;
}

/** Reads the lag of `groupId` on `topic`, partition by partition, with a new admin client. */
export async function consumerLag(
  brokers: string[],
  topic: string,
  groupId: string,
): Promise<PartitionLag[]> {
  const admin = createKafka(brokers, { clientId: "ecommerce-lag" }).admin();
  await admin.connect();
  try {
    return await readLag(admin, topic, groupId);
  } finally {
    await admin.disconnect();
  }
}

/** {@linkcode consumerLag} through a connected `admin` (a long-lived one, in the web server). */
export async function readLag(
  admin: Admin,
  topic: string,
  groupId: string,
): Promise<PartitionLag[]> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const byPartition = new Map(
    (committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
  );
  return ends
    .map(({ partition, high, low }) => {
      const offset = byPartition.get(partition);
      const done = offset !== undefined && offset >= 0 ? offset : null;
      const end = Number(high);
      return { partition, committed: done, end, lag: end - (done ?? Number(low)) };
    })
    .sort((a, b) => a.partition - b.partition);
}
