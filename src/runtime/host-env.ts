/**
 * What the host functions of one thread (a worker, or the main thread in inline mode) can reach: the capability
 * configuration, the allowed secrets, the synchronous gateway to the asynchronous {@link HostServices}, the log sink,
 * the ident registry and the limits.
 *
 * @module
 */
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { HostCallContext, HostCallResult } from '../capabilities/host-services.js';
import { BlockingCall } from './deadline.js';
import type { IdentRegistry } from './invocation.js';
import type { ResolvedLimits } from './limits.js';

/** One call of an asynchronous host service, as sent from a worker to the main thread. */
export type HostRequest =
  | { readonly op: 'cacheGet'; readonly key: string }
  | { readonly op: 'cacheSet'; readonly key: string; readonly value: Uint8Array; readonly ttlSeconds: number }
  | { readonly op: 'fetchUrl'; readonly method: number; readonly url: string; readonly body: Uint8Array }
  | { readonly op: 'graphqlQuery'; readonly endpoint: string; readonly query: string }
  | { readonly op: 'dbExec'; readonly queryType: number; readonly name: string; readonly variables: readonly string[] }
  | { readonly op: 'getStaticFile'; readonly name: string };

/**
 * The synchronous face of the asynchronous host services: in a worker it blocks on the bridge until the main thread
 * answers; in inline mode it answers at once with `capability is not available in inline mode`.
 */
export interface AsyncHost {
  call(request: HostRequest, context: HostCallContext): HostCallResult;
}

/** Log levels a guest can reach. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Structured fields of a guest log line. */
export interface LogFields {
  readonly fn: string;
  readonly request_id?: string;
  readonly ident?: number;
  readonly stream?: 'stdout' | 'stderr';
  readonly [key: string]: unknown;
}

/** Where guest log lines (log_msg, WASI stdout/stderr) and runtime warnings go. */
export type LogSink = (level: LogLevel, message: string, fields: LogFields) => void;

/** Everything host functions of one thread share. */
export interface HostEnvironment {
  readonly capabilities: CapabilityConfig;
  /** The values of the secrets the app may read (`capabilities.secrets.allowedKeys`), resolved on the main thread. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly async: AsyncHost;
  /**
   * What a guest's sleep (WASI `poll_oneoff` on a clock) does: `wait` blocks the thread (up to the call's deadline);
   * `relocate` throws {@link BlockingCall}, for a call running speculatively on the calling thread.
   */
  readonly sleeps: 'wait' | 'relocate';
  readonly log: LogSink;
  readonly idents: IdentRegistry;
  readonly limits: ResolvedLimits;
}

/** The error text async capabilities give in inline mode. */
export const INLINE_UNAVAILABLE = 'capability is not available in inline mode';

/** The {@link AsyncHost} of inline mode: every asynchronous capability fails with {@link INLINE_UNAVAILABLE}. */
export const INLINE_ASYNC_HOST: AsyncHost = {
  call: () => ({ kind: 'error', message: INLINE_UNAVAILABLE }),
};

/**
 * The {@link AsyncHost} of a call running speculatively on the calling thread: any asynchronous capability throws
 * {@link BlockingCall}, which abandons the call so that it runs again on a worker.
 */
export const RELOCATING_ASYNC_HOST: AsyncHost = {
  call: (request) => {
    throw new BlockingCall(`env.${HOST_CALL_IMPORTS[request.op]}`);
  },
};

/** The import name of each asynchronous host call. */
const HOST_CALL_IMPORTS: Readonly<Record<HostRequest['op'], string>> = {
  cacheGet: 'cache_get',
  cacheSet: 'cache_set',
  fetchUrl: 'fetch_url',
  graphqlQuery: 'graphql_query',
  dbExec: 'db_exec',
  getStaticFile: 'get_static_file',
};
