/**
 * Every `send` of a project producer as one kafkajs send per partition.
 *
 * Why: kafkajs 2.2.4 loses acknowledged messages when a leader moves during a send that
 * spans several brokers (tulios/kafkajs#1303, fix proposed in #1798). It remembers which
 * brokers answered an attempt; when a retry finds a failed broker's partitions led by a
 * broker that already answered, it sends them nowhere and resolves as if they were
 * written. tests/cluster_failover_test.ts saw 2 and 6 events of ~1,000–1,400 vanish so
 * when it SIGKILLed a leader of a three-broker cluster. A send to a single partition has
 * one leader per attempt, so that path never runs.
 *
 * The partition of each message is the one kafkajs would pick (the producer's own
 * partitioner, fed the partition metadata kafkajs last passed it; one keyed message of
 * each send is left to kafkajs to keep that metadata current). `sendBatch` is left as
 * kafkajs has it (nothing here uses it). A send fails if any
 * partition's send fails, after all of them settled; its caller re-sends the whole
 * record, so partitions that were written get a second copy (at-least-once, absorbed by
 * the worker's unique `order_id`), and nothing is reported written that was not.
 *
 * @module
 */
import { Partitioners } from "kafkajs";
import type {
  Kafka,
  Message,
  PartitionMetadata,
  Producer,
  ProducerConfig,
  ProducerRecord,
  RecordMetadata,
} from "kafkajs";

/** Creates `kafka.producer(config)` whose `send` writes each partition separately. */
export function createPartitionedProducer(
  createProducer: Kafka["producer"],
  config: ProducerConfig = {},
): Producer {
  const metadata = new Map<string, PartitionMetadata[]>();
  const partitioner = (config.createPartitioner ?? Partitioners.DefaultPartitioner)();
  const producer = createProducer({
    ...config,
    // The same partitioner, watched: it is handed the topic's current partitions.
    createPartitioner: () => (args) => {
      metadata.set(args.topic, args.partitionMetadata);
      return partitioner(args);
    },
  });
  const sendOnce = producer.send.bind(producer);
  producer.send = async function sendPerPartition(record: ProducerRecord) {
    let messages = record.messages;
    const results: RecordMetadata[] = [];
    if (messages.length === 0) return await sendOnce(record);
    if (!metadata.has(record.topic) && messages.some((m) => m.partition == null)) {
      // The first message alone (one partition: safe) teaches us the partitions.
      results.push(...await sendOnce({ ...record, messages: messages.slice(0, 1) }));
      messages = messages.slice(1);
    }
    const byPartition = new Map<number, Message[]>();
    let refreshing = false;
    for (const message of messages) {
      const partition = message.partition ?? partitioner({
        topic: record.topic,
        partitionMetadata: metadata.get(record.topic) ?? [],
        message,
      });
      const group = byPartition.get(partition) ?? [];
      // One keyed message per send goes without its partition, so kafkajs runs the
      // partitioner on its current metadata (a keyed pick is deterministic: it lands in
      // this same group unless the partition count changed, which the next send sees).
      const keepOpen: boolean = !refreshing && message.partition == null && message.key != null;
      refreshing ||= keepOpen;
      group.push(keepOpen ? message : { ...message, partition });
      byPartition.set(partition, group);
    }
    // allSettled: the caller's re-send must not overtake a partition still in flight.
    const settled = await Promise.allSettled(
      [...byPartition.values()].map((group) => sendOnce({ ...record, messages: group })),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    for (const s of settled) if (s.status === "fulfilled") results.push(...s.value);
    return results;
  };
  return producer;
}
