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

/** Everything a worker starts with (its `workerData`). */
export interface WorkerInit {
  readonly capabilities: CapabilityConfig;
  readonly secrets: Readonly<Record<string, string>>;
  readonly limits: ResolvedLimits;
  readonly fresh: boolean;
  readonly instances: number;
  readonly bridge: BridgeChannel;
  readonly functions: readonly FunctionDefinition[];
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'register'; readonly definition: FunctionDefinition }
  | { readonly type: 'call'; readonly id: number; readonly name: string; readonly request: FunctionRequest };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string; readonly fields: LogFields }
  | HostCallMessage
  | { readonly type: 'done'; readonly id: number; readonly outcome: RunOutcome; readonly instances: number };
