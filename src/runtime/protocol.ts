/**
 * What the main thread and a worker exchange besides the calls themselves (which cross on the worker's
 * `CallChannel`): the worker's start data, and its messages to the main thread.
 *
 * @module
 */
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { BridgeChannel, HostCallMessage } from './bridge.js';
import type { CallChannelInit } from './call-channel.js';
import type { LogFields, LogLevel } from './host-env.js';
import type { FunctionDefinition } from './instance.js';
import type { ResolvedLimits } from './limits.js';

/** Everything a worker starts with (its `workerData`). */
export interface WorkerInit {
  readonly capabilities: CapabilityConfig;
  readonly secrets: Readonly<Record<string, string>>;
  readonly limits: ResolvedLimits;
  readonly fresh: boolean;
  readonly instances: number;
  readonly bridge: BridgeChannel;
  readonly channel: CallChannelInit;
  readonly functions: readonly FunctionDefinition[];
}

/** The settings of every worker of a pool: {@link WorkerInit} without what each worker gets of its own. */
export type WorkerSettings = Omit<WorkerInit, 'bridge' | 'channel' | 'functions'>;

/** Worker → main thread: `ready` on the worker's own port; host calls and log lines on its call channel. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string; readonly fields: LogFields }
  | HostCallMessage;
