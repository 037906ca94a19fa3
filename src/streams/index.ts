/**
 * NATS and Kafka stream handlers: the factory the engine uses, and the building blocks of the programmatic API
 * (sources, sinks, the Kafka driver interface). `src/index.ts` re-exports this module.
 *
 * @example
 * ```ts
 * import { createStreamConnections } from 'e2rx';
 * const streams = createStreamConnections(directive, { logger, env: process.env });
 * await streams.connect();
 * ```
 *
 * @module
 */
export { createStreamConnections, type StreamConnections, type StreamConnectionsOptions } from '../handlers/stream-connections.js';
export { connectNats, DEFAULT_NATS_ADDRESS, type NatsConnectionHandle, type NatsConnectOptions } from '../connections/nats.js';
export type {
  KafkaCommit,
  KafkaConsumer,
  KafkaConsumerListener,
  KafkaConsumerOptions,
  KafkaDriver,
  KafkaOutgoing,
  KafkaRecord,
  TopicPartition,
} from '../connections/kafka-driver.js';
export { DEFAULT_KAFKA_DRIVER, MAX_PRODUCE_REQUEST_BYTES, produceRequests } from '../connections/kafka-driver.js';
export { seedBrokers } from '../connections/kafka-brokers.js';
export { createKafkajsDriver, type KafkajsDriverOptions } from '../connections/kafkajs-driver.js';
export { createPlatformaticDriver, platformaticErrorMessage, type PlatformaticDriverOptions } from '../connections/platformatic-driver.js';
export { shareConsumerGroups } from '../connections/kafka-groups.js';
export { connectWithRetry, DEFAULT_CONNECT_TIMEOUT_MS, type ConnectRetryOptions } from '../connections/retry.js';
export { fromNatsSubject, headerEntries, type NatsJob, type NatsSubjectOptions } from '../sources/nats.js';
export { fromJetStream, DEFAULT_PULL_EXPIRES_MS, type JetStreamSourceOptions } from '../sources/jetstream.js';
export { ensureJetStream, type JetStreamTarget } from '../connections/jetstream.js';
export { natsName, defaultStreamName, defaultDurableName, DEFAULT_ACK_WAIT_MS, DEFAULT_MAX_DELIVER } from '../connections/jetstream-names.js';
export {
  fromKafkaTopic,
  DEFAULT_PARTITION_BYTES,
  DEFAULT_MAX_HELD_BYTES,
  DEFAULT_COMMIT_INTERVAL_MS,
  type KafkaJob,
  type KafkaTopicOptions,
  type KafkaFlowEvent,
} from '../sources/kafka.js';
export {
  respondToNats,
  respondToKafka,
  publishNats,
  replyNatsFailure,
  deadLetterNats,
  deadLetterKafka,
  kafkaResultRecord,
  kafkaDeadLetterRecord,
  type NatsRun,
  type NatsDelivery,
  type NatsConfirm,
  type RespondToNatsOptions,
  type PublishNatsOptions,
  type KafkaRun,
  type KafkaDelivery,
  type RespondToKafkaOptions,
} from '../sinks/respond-to.js';
export { natsPipeline, type NatsHandlerConfig, type NatsPipelineDeps } from '../handlers/nats-pipeline.js';
export { DEFAULT_NAK_DELAY_MS, retriesOf, type Retries } from '../handlers/retries.js';
export { kafkaPipeline, type KafkaHandlerConfig, type KafkaPipelineDeps } from '../handlers/kafka-pipeline.js';
export { createInFlight, type InFlight } from '../flow/in-flight.js';
export { createOffsetTracker, type OffsetTracker } from '../flow/offset-tracker.js';
export { backoffDelay, DEFAULT_MAX_BACKOFF_MS, type BackoffOptions } from '../flow/backoff.js';
export { unwrapPayload, wrapPayload, type GravMeta, type InboundPayload } from '../messages/envelope.js';
export {
  CORRELATION_HEADER,
  DEAD_LETTER_HEADERS,
  requestHeaders,
  outputHeaders,
  describeFailure,
  deadLetterHeaders,
  isReservedNatsHeader,
  type HeaderEntry,
  type FailureDescription,
} from '../messages/headers.js';
export { streamRequest } from '../messages/stream-request.js';
export type { StreamOutcome, StreamOutcomeKind } from '../messages/stream-outcome.js';
