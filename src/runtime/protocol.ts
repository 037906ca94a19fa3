/**
 * The messages between the main thread and a worker.
 *
 * @module
 */
import type { CapabilityConfig } from '../capabilities/config.js';
import type { BridgeChannel, HostCallMessage } from './bridge.js';
import type { LogFields, LogLevel } from './host-env.js';
import type { FunctionDefinition } from './instance.js';
import type { ResolvedLimits } from './limits.js';
import type { RunOutcome } from './outcome.js';
import type { FunctionRequest } from './request.js';
import type { RingChannel } from './ring.js';

/** How calls cross to the workers (prototypes measured by bench/worker-handoff.ts). */
export type Transport = 'message' | 'batch' | 'ring';
/** What of a request crosses: all of it, what the guest can read (and back only when changed), or the body only. */
export type RequestCopy = 'full' | 'lean' | 'body';

/** Everything a worker starts with (its `workerData`). */
export interface WorkerInit {
  readonly capabilities: CapabilityConfig;
  readonly secrets: Readonly<Record<string, string>>;
  readonly limits: ResolvedLimits;
  readonly fresh: boolean;
  readonly instances: number;
  readonly bridge: BridgeChannel;
  readonly functions: readonly FunctionDefinition[];
  readonly transport: Transport;
  readonly copy: RequestCopy;
  /** The rings of the `ring` transport. */
  readonly rings?: { readonly calls: RingChannel; readonly results: RingChannel };
}

/** One call's outcome as a worker reports it; `request` is absent when the guest left it unchanged (`lean` copy). */
export interface Done {
  readonly id: number;
  readonly outcome: RunOutcome;
  readonly instances: number;
}

/** One call as posted. */
export interface Call {
  readonly id: number;
  readonly name: string;
  readonly request: FunctionRequest;
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'register'; readonly definition: FunctionDefinition }
  | { readonly type: 'call'; readonly id: number; readonly name: string; readonly request: FunctionRequest }
  | { readonly type: 'calls'; readonly calls: readonly Call[] };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string; readonly fields: LogFields }
  | HostCallMessage
  | { readonly type: 'done'; readonly id: number; readonly outcome: RunOutcome; readonly instances: number }
  | { readonly type: 'results'; readonly results: readonly Done[] };
