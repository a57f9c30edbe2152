import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { describeSendError, permanentSendError } from "./dlq_send.ts";

// kafkajs spreads its error classes into module.exports, which named imports cannot see.
const {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} = kafkajs;

/** A broker error as kafkajs builds it from a produce response's error code. */
function brokerError(type: string, code: number, retriable: boolean, message = type) {
  // kafkajs's own call passes the error-code entry (its typings say Error | string).
  return new KafkaJSProtocolError(Object.assign(new Error(message), { type, code, retriable }));
}

/** What kafkajs's retrier throws when it bails out with `error` (its typings lack `cause`). */
function bailedWith(error: Error): Error {
  return Reflect.construct(KafkaJSNonRetriableError, [error, { cause: error }]);
}

Deno.test("permanentSendError finds the broker's refusal however kafkajs wraps it", () => {
  const tooLarge = brokerError(
    "MESSAGE_TOO_LARGE",
    10,
    false,
    "The request included a message larger than the max message size the server will accept",
  );
  // kafkajs bails with the broker's error itself, or wraps it when it stops retrying.
  assert.equal(permanentSendError(tooLarge), "MESSAGE_TOO_LARGE");
  assert.equal(
    permanentSendError(bailedWith(tooLarge)),
    "MESSAGE_TOO_LARGE",
  );
  const corrupt = brokerError("CORRUPT_MESSAGE", 2, true);
  assert.equal(
    permanentSendError(
      new KafkaJSNumberOfRetriesExceeded(corrupt, { retryCount: 8, retryTime: 5000 }),
    ),
    "CORRUPT_MESSAGE",
  );
  for (
    const [type, code] of [
      ["RECORD_LIST_TOO_LARGE", 18],
      ["INVALID_RECORD", 87],
      ["TOPIC_AUTHORIZATION_FAILED", 29],
      ["CLUSTER_AUTHORIZATION_FAILED", 31],
      ["INVALID_TOPIC_EXCEPTION", 17],
    ] as const
  ) {
    assert.equal(permanentSendError(brokerError(type, code, false)), type);
  }
  assert.equal(
    describeSendError(bailedWith(tooLarge)),
    "MESSAGE_TOO_LARGE: The request included a message larger than the max message size " +
      "the server will accept",
  );
});

Deno.test("permanentSendError leaves outages, elections and timeouts transient", () => {
  const transient = [
    brokerError("LEADER_NOT_AVAILABLE", 5, true),
    brokerError("NOT_LEADER_FOR_PARTITION", 6, true),
    brokerError("REQUEST_TIMED_OUT", 7, true),
    brokerError("NOT_ENOUGH_REPLICAS", 19, true),
    // Non-retriable for kafkajs, yet nothing to do with the message.
    brokerError("BROKER_NOT_AVAILABLE", 8, false),
    brokerError("REBALANCE_IN_PROGRESS", 27, false),
    brokerError("UNKNOWN", -1, false),
    new KafkaJSNumberOfRetriesExceeded(brokerError("UNKNOWN_TOPIC_OR_PARTITION", 3, true), {
      retryCount: 8,
      retryTime: 5000,
    }),
    new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:9092"),
    new KafkaJSRequestTimeoutError("Request Produce(key: 0, version: 7) timed out"),
    new Error("anything else"),
    "not even an error",
    undefined,
  ];
  for (const error of transient) assert.equal(permanentSendError(error), undefined, String(error));
  assert.equal(
    describeSendError(new KafkaJSConnectionError("Connection error: refused")),
    "Connection error: refused",
  );
});
