/**
 * Snappy, LZ4 and ZSTD for kafkajs, which only knows gzip. Without them one record
 * batch compressed by a producer set to `compression.type=lz4` (the Java client's and
 * librdkafka's common choice) makes kafkajs throw `KafkaJSNotImplemented` while
 * decoding the fetch response: the whole fetch fails, for every partition it carried,
 * the consumer crashes and restarts onto the same batch, and ingestion stops for good.
 *
 * The codecs are @platformatic/kafka's (WebAssembly LZ4 and Snappy with the Java
 * client's xerial framing, node:zlib's ZSTD), loaded on the first batch that needs one
 * so processes that never meet a compressed batch do not pay for it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { CompressionCodecs, CompressionTypes } from "kafkajs";

type Algorithm = "snappy" | "lz4" | "zstd";

interface SyncCodec {
  compressSync(data: Buffer): Buffer;
  decompressSync(data: Buffer): Buffer;
}

let codecs: Promise<Record<Algorithm, SyncCodec>> | undefined;

function load(): Promise<Record<Algorithm, SyncCodec>> {
  codecs ??= import("@platformatic/kafka").then((module) =>
    module.compressionsAlgorithms as unknown as Record<Algorithm, SyncCodec>
  );
  return codecs;
}

/** kafkajs's codec shape: `compress` gets its encoder, `decompress` the batch's bytes. */
function codec(algorithm: Algorithm) {
  return () => ({
    async compress(encoder: { buffer: Buffer }): Promise<Buffer> {
      return (await load())[algorithm].compressSync(encoder.buffer);
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      return Buffer.from((await load())[algorithm].decompressSync(buffer));
    },
  });
}

CompressionCodecs[CompressionTypes.Snappy] = codec("snappy");
CompressionCodecs[CompressionTypes.LZ4] = codec("lz4");
CompressionCodecs[CompressionTypes.ZSTD] = codec("zstd");
