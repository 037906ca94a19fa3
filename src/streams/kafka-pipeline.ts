/**
 * The pipeline of one Kafka handler: source (ordered per partition, paused at the in-flight bound) → run with
 * retries → respondTo → complete (commit) or dead letter, each record on its own detached subscription (see
 * {@link InFlight}) so that a stop lets it finish and commit.
 *
 * @module
 */
import { catchError, concatMap, defer, finalize, from, map, mergeMap, of, retry, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { KafkaDriver } from '../connections/kafka-driver.js';
import type { Gate } from '../engine/gate.js';
import { errorMessage } from '../errors.js';
import type { FunctionRequest } from '../runtime/request.js';
import { deadLetterKafka, respondToKafka } from '../sinks/respond-to.js';
import { fromKafkaTopic, type KafkaFlowEvent, type KafkaJob } from '../sources/kafka.js';
import { cloneRequest } from '../steps/run-state.js';
import type { RunResult } from '../steps/steps.js';
import { okOrThrow, withRetries } from './attempts.js';
import { backoffDelay } from './backoff.js';
import { describeFailure, type FailureDescription } from './headers.js';
import type { InFlight } from './in-flight.js';
import type { StreamOutcome } from './outcome.js';

/** What a Kafka handler does, resolved from the Directive (see `createStreamConnections`). */
export interface KafkaHandlerConfig {
  /** The handler id, in logs and dead-letter headers (`kafka orders`). */
  readonly id: string;
  readonly topic: string;
  readonly groupId: string;
  readonly respondTo: string | undefined;
  readonly deadLetter: string | undefined;
  /** Retries of a failed run (or a failed respondTo produce) before the dead letter; the delay doubles. */
  readonly retries: { readonly max: number; readonly backoffMs: number };
  /** Where a new group starts (default true: the earliest record). */
  readonly fromBeginning?: boolean;
  /** Records a partition may hold before it is paused (default `DEFAULT_PARTITION_BUFFER`). */
  readonly partitionBuffer?: number;
}

/** What a Kafka handler pipeline needs. */
export interface KafkaPipelineDeps {
  readonly driver: KafkaDriver;
  readonly inFlight: InFlight;
  readonly logger: Logger;
  readonly scheduler?: SchedulerLike;
  /** Flow-control events of the source (pause, resume, assignments, commits). */
  readonly onFlow?: (event: KafkaFlowEvent) => void;
  /** The first delay between attempts to produce a dead letter (default 500 ms, doubling up to 30 s). */
  readonly deadLetterBackoffMs?: number;
}

/**
 * Builds the pipeline of a Kafka handler. Subscribing starts a consumer in the group; unsubscribing stops taking
 * records while the jobs already taken finish, commit, and the consumer leaves the group (on `deps.inFlight`).
 *
 * @example
 * ```ts
 * const pipeline = kafkaPipeline(config, run, gate, { driver, inFlight, logger });
 * const subscription = pipeline.subscribe();
 * // stop:
 * subscription.unsubscribe();
 * await inFlight.drain(10_000);
 * ```
 */
export function kafkaPipeline(
  config: KafkaHandlerConfig,
  run: (request: FunctionRequest) => Observable<RunResult>,
  gate: Gate,
  deps: KafkaPipelineDeps,
): Observable<StreamOutcome> {
  const { driver, inFlight, logger } = deps;
  return fromKafkaTopic(driver, config.topic, {
    groupId: config.groupId,
    gate,
    fromBeginning: config.fromBeginning ?? true,
    ...(config.partitionBuffer !== undefined ? { partitionBuffer: config.partitionBuffer } : {}),
    logger,
    inFlight,
    ...(deps.onFlow ? { onFlow: deps.onFlow } : {}),
  }).pipe(
    mergeMap((job) =>
      inFlight.keep(
        processRecord(job, config, run, deps).pipe(
          catchError((error: unknown) => {
            // Not completed: the record stays uncommitted and comes back after a restart or rebalance.
            logger.error({ handler: config.id, request_id: job.request.id, err: error }, `${config.id}: a record could not be handled`);
            return of<StreamOutcome>({ handler: config.id, requestId: job.request.id, outcome: 'abandoned', attempts: 0, error: describeFailure(error) });
          }),
          finalize(() => job.abandon()),
        ),
      ),
    ),
  );
}

function processRecord(
  job: KafkaJob,
  config: KafkaHandlerConfig,
  run: (request: FunctionRequest) => Observable<RunResult>,
  deps: KafkaPipelineDeps,
): Observable<StreamOutcome> {
  const { driver } = deps;
  return withRetries(
    () =>
      defer(() => run(cloneRequest(job.request))).pipe(
        map((result) => ({ job, result: okOrThrow(result) })),
        respondToKafka(driver, { topic: config.respondTo }),
      ),
    { retries: config.retries.max, backoffMs: config.retries.backoffMs, ...(deps.scheduler ? { scheduler: deps.scheduler } : {}) },
  ).pipe(
    concatMap((end) => {
      if (end.kind === 'done') {
        job.complete();
        return of<StreamOutcome>({
          handler: config.id,
          requestId: job.request.id,
          outcome: end.value.publishedTo !== undefined ? 'published' : 'done',
          attempts: end.attempts,
          ...(end.value.publishedTo !== undefined ? { publishedTo: end.value.publishedTo } : {}),
        });
      }
      return giveUp(job, config, deps, describeFailure(end.failure), end.attempts);
    }),
  );
}

function giveUp(job: KafkaJob, config: KafkaHandlerConfig, deps: KafkaPipelineDeps, failure: FailureDescription, attempts: number): Observable<StreamOutcome> {
  const { logger, driver } = deps;
  const where = { handler: config.id, request_id: job.request.id, topic: job.record.topic, partition: job.record.partition, offset: job.record.offset, attempts, code: failure.code };
  const base = { handler: config.id, requestId: job.request.id, attempts, error: failure };
  const deadLetter = config.deadLetter;
  if (deadLetter === undefined) {
    logger.error(where, `${config.id}: record failed ${attempts} time(s) and is skipped (no dead letter): ${failure.message}`);
    job.complete();
    return of<StreamOutcome>({ ...base, outcome: 'dropped' });
  }
  // The dead letter is retried until it succeeds or the work is cancelled: a record is never skipped silently.
  return defer(() => from(deadLetterKafka(driver, deadLetter, job, failure, attempts, config.id))).pipe(
    retry({
      delay: (error: unknown, count: number) => {
        const due = backoffDelay(count, { baseMs: deps.deadLetterBackoffMs ?? 500 });
        logger.warn({ ...where, err: errorMessage(error), retryInMs: due }, `${config.id}: the dead letter to ${deadLetter} failed; retrying`);
        return deps.scheduler ? timer(due, deps.scheduler) : timer(due);
      },
    }),
    map((): StreamOutcome => {
      job.complete();
      logger.warn(where, `${config.id}: record failed ${attempts} time(s) and went to ${deadLetter}: ${failure.message}`);
      return { ...base, outcome: 'dead-lettered', publishedTo: deadLetter };
    }),
  );
}
