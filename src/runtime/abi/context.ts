/**
 * The per-instance context host functions are built on: the instance's memory, the invocation being run, ident
 * checks, the FFI-call guard (docs/reference/host-abi.md §4 single-pending rule) and logging with the invocation's scope.
 *
 * @module
 */
import type { GuestDebugInfo } from '../guest-frame.js';
import type { HostCallResult } from '../../capabilities/host-services.js';
import type { HostEnvironment, LogFields, LogLevel } from '../host-env.js';
import type { Invocation } from '../invocation.js';
import { GuestMemory } from '../memory.js';

/** A host function as imported by a guest: i32 arguments, an i32 or nothing back. */
export type HostFunction = (...args: number[]) => number | undefined | void;

/** How many unknown-ident refusals one instance logs before it goes quiet. */
const UNKNOWN_IDENT_LOG_LIMIT = 5;

/**
 * What every host function of one instance shares.
 *
 * @example
 * ```ts
 * const context = new InstanceContext('hello', env);
 * const size = context.ffi(ident, 'cache_get', (invocation) => ({ kind: 'data', data: new Uint8Array() }));
 * ```
 */
export class InstanceContext {
  /** The instance's linear memory, bound after instantiation. */
  readonly memory = new GuestMemory();
  /** The invocation being run, if any. */
  current: Invocation | undefined;
  #refusals = 0;

  constructor(
    /** The function's name. */
    readonly fn: string,
    readonly env: HostEnvironment,
    /** The function's source map and offsets, to name the user's frame of a failure ({@link guestFrame}). */
    readonly debug?: GuestDebugInfo,
  ) {}

  /**
   * The invocation `ident` names, or `undefined` (and a warning, rate-limited) when the ident is unknown or belongs
   * to another instance: such calls are refused as potentially malicious.
   */
  invocation(ident: number, importName: string): Invocation | undefined {
    const found = this.env.idents.get(ident);
    if (found !== undefined && found === this.current) return found;
    this.#refusals += 1;
    if (this.#refusals <= UNKNOWN_IDENT_LOG_LIMIT) {
      const suffix = this.#refusals === UNKNOWN_IDENT_LOG_LIMIT ? ' (further refusals of this instance are not logged)' : '';
      this.env.log('warn', `refused host call ${importName.includes('.') ? importName : `env.${importName}`}: unknown ident ${ident}, potentially malicious${suffix}`, {
        fn: this.fn,
        ident,
      });
    }
    return undefined;
  }

  /** The log fields of an invocation (or of the instance outside one). */
  fields(invocation: Invocation | undefined, extra?: Partial<LogFields>): LogFields {
    const base: LogFields =
      invocation === undefined ? { fn: this.fn } : { fn: this.fn, request_id: invocation.request.id, ident: invocation.ident };
    return extra === undefined ? base : { ...base, ...extra };
  }

  /** Logs with the invocation's scope. */
  log(level: LogLevel, message: string, invocation: Invocation | undefined, extra?: Partial<LogFields>): void {
    this.env.log(level, message, this.fields(invocation, extra));
  }

  /**
   * Runs an FFI host function (docs/reference/host-abi.md §4): refuses (-1) an unknown ident or a call made while a previous result is
   * uncollected, otherwise stores the operation's result and returns its size.
   */
  ffi(ident: number, importName: string, operation: (invocation: Invocation) => HostCallResult): number {
    const invocation = this.invocation(ident, importName);
    if (invocation === undefined || this.refusePending(invocation, importName)) return -1;
    return invocation.store(operation(invocation));
  }

  /** Whether an FFI call must be refused because a previous result is uncollected (logged). */
  refusePending(invocation: Invocation, importName: string): boolean {
    if (!invocation.hasPending) return false;
    this.log('warn', `env.${importName}: cannot use instance for host call with existing call in progress`, invocation);
    return true;
  }
}
