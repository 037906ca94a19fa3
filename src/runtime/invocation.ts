/**
 * The context of one function invocation (docs/reference/host-abi.md §3): its ident, the request it may read and mutate, the one-slot
 * FFI result (docs/reference/host-abi.md §4), the FFI variables, what the guest returned, and the bytes it holds on the host (`host-memory.ts`).
 *
 * @module
 */
import type { HostCallResult } from '../capabilities/host-services.js';
import type { GuestPublish } from './guest-publish.js';
import { HostMemoryExceeded } from './host-memory.js';
import type { FunctionRequest } from './request.js';

const encoder = new TextEncoder();

/** Copies a request so that the guest's mutations do not reach the caller's object. */
export function copyRequest(request: FunctionRequest): FunctionRequest {
  return {
    method: request.method,
    url: request.url,
    id: request.id,
    body: request.body,
    headers: { ...request.headers },
    params: { ...request.params },
    state: { ...request.state },
    respHeaders: { ...request.respHeaders },
  };
}

/** How the guest settled the call: the first of return_result / return_error / return_abort wins. */
export type Settlement =
  | { readonly kind: 'output'; readonly output: Uint8Array }
  | { readonly kind: 'runError'; readonly code: number; readonly message: string }
  | { readonly kind: 'outputTooLarge'; readonly size: number };

/**
 * One invocation: created per call with a fresh ident, registered while `run_e` runs.
 *
 * @example
 * ```ts
 * const invocation = new Invocation(idents.next(), 'hello', request, hostBudgetBytes(limits.maxMemoryMb));
 * const size = invocation.store({ kind: 'data', data: bytes }); // bytes.length
 * invocation.hold(key.length + value.length); // throws HostMemoryExceeded past the budget
 * ```
 */
export class Invocation {
  #request: FunctionRequest;
  #copied = false;
  /** What the guest returned, if it did. */
  settlement: Settlement | undefined;
  #ffiVars: Array<readonly [name: string, value: string]> | undefined = undefined;
  #publishes: GuestPublish[] | undefined = undefined;
  /** (e2rx) The bytes of {@link publishes}. */
  publishedBytes = 0;
  #pending: Uint8Array | undefined;
  #bodyJson: { readonly body: Uint8Array; readonly value: Record<string, unknown> } | undefined;
  #held = 0;

  constructor(
    readonly ident: number,
    readonly fn: string,
    request: FunctionRequest,
    /** The bytes the call may hold on the host beyond its input (`hostBudgetBytes`); unbounded when not given. */
    readonly hostBudget = Number.POSITIVE_INFINITY,
  ) {
    this.#request = request;
  }

  /** Variables added with add_ffi_var, consumed by the next db_exec (made on first use: most calls add none). */
  get ffiVars(): Array<readonly [name: string, value: string]> {
    return (this.#ffiVars ??= []);
  }

  /**
   * (e2rx) The messages the guest published (`e2rx.publish`), in order: handed on only if the call succeeds (made on
   * first use: most calls publish nothing).
   */
  get publishes(): GuestPublish[] {
    return (this.#publishes ??= []);
  }

  /** (e2rx) The messages the guest published, or `undefined` when it published none. */
  get published(): readonly GuestPublish[] | undefined {
    const publishes = this.#publishes;
    return publishes === undefined || publishes.length === 0 ? undefined : publishes;
  }

  /** The bytes the call holds on the host beyond its input: what it added, minus what it replaced or released. */
  get held(): number {
    return this.#held;
  }

  /**
   * Counts `bytes` more held on the host (negative: released), before the host keeps them. Throws
   * {@link HostMemoryExceeded} (nothing counted) when the call would hold more than {@link hostBudget}.
   */
  hold(bytes: number): void {
    const held = this.#held + bytes;
    if (held > this.hostBudget) throw new HostMemoryExceeded(held, this.hostBudget);
    this.#held = held;
  }

  /**
   * The request as the guest sees it: the caller's object until the guest changes something (then a copy, see
   * {@link mutable}), so that the caller's object is never changed.
   */
  get request(): FunctionRequest {
    return this.#request;
  }

  /** The request to change (request_set_field, resp_set_header): copied from the caller's on the first change. */
  mutable(): FunctionRequest {
    if (!this.#copied) {
      this.#request = copyRequest(this.#request);
      this.#copied = true;
    }
    return this.#request;
  }

  /** Whether an FFI result is stored and not yet collected by get_ffi_result. */
  get hasPending(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Stores a host call's outcome in the FFI slot and returns the size the guest sees: the length for data, minus the
   * message length for an error, the bare status otherwise (nothing stored).
   */
  store(result: HostCallResult): number {
    switch (result.kind) {
      case 'data':
        this.#pending = result.data;
        return result.data.length;
      case 'error': {
        const bytes = encoder.encode(result.message);
        this.#pending = bytes;
        return -bytes.length;
      }
      case 'status':
        return result.status;
    }
  }

  /** Takes the stored FFI result, clearing the slot. */
  take(): Uint8Array | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending;
  }

  /** Records the guest's result unless it already settled; returns whether it was recorded. */
  settle(settlement: Settlement): boolean {
    if (this.settlement !== undefined) return false;
    this.settlement = settlement;
    return true;
  }

  /** The body parsed as a JSON object, cached until the body changes; throws on invalid JSON or a non-object. */
  bodyObject(): Record<string, unknown> {
    const body = this.request.body;
    if (this.#bodyJson?.body === body) return this.#bodyJson.value;
    const value: unknown = JSON.parse(new TextDecoder().decode(body));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('body is not a JSON object');
    this.#bodyJson = { body, value: value as Record<string, unknown> };
    return this.#bodyJson.value;
  }
}

/** The exclusive upper bound of idents: idents are uniform in [0, 2^31 - 1). */
export const IDENT_LIMIT = 2 ** 31 - 1;

/**
 * The ident → invocation map of one thread (docs/reference/host-abi.md §1). Idents are random, never reused while live.
 *
 * @example
 * ```ts
 * const ident = registry.next();
 * registry.add(new Invocation(ident, 'fn', request));
 * ```
 */
export class IdentRegistry {
  /** The live invocations: one at a time on a thread (a guest call runs to its end), so a list beats a map. */
  readonly #live: Invocation[] = [];

  /**
   * A fresh random ident not in use. `Math.random` rather than `crypto.randomInt` (about 30 ns less per call): an
   * ident tells the live calls of one thread apart, it guards no secret.
   */
  next(): number {
    for (;;) {
      const ident = Math.floor(Math.random() * IDENT_LIMIT);
      if (this.get(ident) === undefined) return ident;
    }
  }

  /** Registers a live invocation under its ident. */
  add(invocation: Invocation): void {
    this.#live.push(invocation);
  }

  /** The live invocation of an ident. */
  get(ident: number): Invocation | undefined {
    const live = this.#live;
    for (let i = live.length - 1; i >= 0; i -= 1) if ((live[i] as Invocation).ident === ident) return live[i];
    return undefined;
  }

  /** Unregisters an ident when its call ends. */
  delete(ident: number): void {
    const live = this.#live;
    for (let i = live.length - 1; i >= 0; i -= 1) {
      if ((live[i] as Invocation).ident === ident) {
        // The call that ends is nearly always the latest one: `pop` allocates nothing (`splice` returns an array).
        if (i === live.length - 1) live.pop();
        else live.splice(i, 1);
        return;
      }
    }
  }

  /** How many invocations are live. */
  get size(): number {
    return this.#live.length;
  }
}
