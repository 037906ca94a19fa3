/**
 * HTTP requests of one route as an Observable of jobs, with the handler's bounds enforced at the door: the body is
 * read first (a slow or idle client costs a socket, never a slot), 413 for a body over the limit, then the gate
 * admits the request, queues it, or refuses it with 503 and `Retry-After` (docs/reference/admission.md).
 *
 * @module
 */
import { rawHeader } from '../server/raw-header.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Observable } from 'rxjs';
import type { Gate, Refusal, Slot } from '../flow/gate.js';
import { holdReading, releaseReading } from '../runtime/clock.js';
import { concatBytes, copyBytes, type FunctionRequest } from '../runtime/request.js';
import type { HttpServer } from '../server/http-server.js';
import { sendJson } from '../server/send-json.js';
import { requestIdOf } from '../server/request-id.js';
import { toRouterPath } from '../directive/index.js';
import type { HttpJob } from '../messages/http-job.js';
import { applyIdentity, refuseHttp, type Authenticator, type AuthVerdict, type Identity } from '../server/auth.js';


/** Options of {@link fromHttpRoute}. */
export interface HttpRouteOptions {
  readonly method: string;
  /** The route in httprouter syntax (`/users/:id`, `/files/*path`). */
  readonly path: string;
  readonly gate: Gate;
  readonly maxBodyBytes: number;
  /** Called for each request refused at the door: 413 (body too large) or 503 (overloaded). */
  readonly onRejected?: (status: 413 | 503, reason?: Refusal) => void;
  /** Builds the job's request (default: {@link requestFromHttp}). */
  readonly toRequest?: (incoming: IncomingMessage, body: Uint8Array, params: Record<string, string>) => FunctionRequest;
  /** (e2rx `auth`) Checks each request's credentials before its body is read; refused requests never take a slot. */
  readonly authenticator?: Authenticator;
}

const EMPTY = new Uint8Array(0);

/**
 * The requests of one route. The route is registered on subscribe and removed on unsubscribe (cold).
 *
 * @example
 * ```ts
 * fromHttpRoute(http, { method: 'POST', path: '/hello', gate, maxBodyBytes: 1 << 20 })
 *   .pipe(mergeMap((job) => runSteps(steps, undefined, job.request, runner).pipe(tap((r) => replyHttp(job.response, r)), finalize(job.release))))
 *   .subscribe();
 * ```
 */
export function fromHttpRoute(server: HttpServer, options: HttpRouteOptions): Observable<HttpJob> {
  const { path: routerPath, catchAll } = toRouterPath(options.path);
  const toRequest = options.toRequest ?? requestFromHttp;
  const { gate, maxBodyBytes } = options;
  return new Observable<HttpJob>((subscriber) => {
    const tooLarge = (incoming: IncomingMessage, response: ServerResponse): void => {
      incoming.resume();
      options.onRejected?.(413);
      response.setHeader('connection', 'close');
      sendJson(response, 413, { status: 413, message: `request body is larger than ${maxBodyBytes} bytes` });
    };
    const authenticator = options.authenticator;
    const serve = (incoming: IncomingMessage, response: ServerResponse, rawParams: Readonly<Record<string, string | undefined>>, identity: Identity | undefined): void => {
      const declared = rawHeader(incoming.rawHeaders, 'content-length');
      if (declared !== undefined && Number(declared) > maxBodyBytes) {
        tooLarge(incoming, response);
        return;
      }
      readBody(incoming, maxBodyBytes, (body) => {
        if (body === undefined) {
          tooLarge(incoming, response);
          return;
        }
        if (response.destroyed) return;
        if (subscriber.closed) {
          refuseStopping(response);
          return;
        }
        const params: Record<string, string> = {};
        for (const name in rawParams) {
          const value = rawParams[name];
          if (value === undefined) continue;
          // httprouter (Atmo's router) gives a catch-all its leading slash: `/files/*path` on `/files/a/b` is `/a/b`.
          if (name === '*' && catchAll) params[catchAll] = `/${value}`;
          else params[name] = value;
        }
        const request = toRequest(incoming, body, params);
        if (identity !== undefined) applyIdentity(request, identity);
        // One clock reading serves the admission, the run and its end when the run ends at once (runtime/clock.ts),
        // and is the request's arrival: its body has been read (a slow upload costs a socket, never run time).
        const job = new PendingJob(request, response, subscriber, holdReading());
        try {
          const verdict = gate.enter(body.length, job);
          if (typeof verdict === 'string') {
            options.onRejected?.(503, verdict);
            refuseOverloaded(response, gate, verdict);
            return;
          }
          job.admitted(verdict);
        } finally {
          releaseReading();
        }
      });
    };
    server.route(
      options.method,
      routerPath,
      authenticator === undefined
        ? (incoming, response, rawParams) => serve(incoming, response, rawParams, undefined)
        : (incoming, response, rawParams) => {
            const decide = (verdict: AuthVerdict): void => {
              if (verdict.ok) {
                serve(incoming, response, rawParams, verdict.identity);
                return;
              }
              // The body of a refused request is read and dropped: the connection stays usable for the retry.
              incoming.resume();
              refuseHttp(response, verdict.refusal);
            };
            const verdict = authenticator.authenticate(incoming);
            return verdict instanceof Promise ? verdict.then(decide) : decide(verdict);
          },
      { label: options.path },
    );
    return () => {
      server.unroute(options.method, routerPath);
    };
  });
}

/**
 * A request between admission and its reply: it waits in the gate's queue (cancelled if the client leaves), then,
 * holding its slot, it is the {@link HttpJob} the source emits.
 */
class PendingJob implements HttpJob {
  #slot: Slot | undefined;
  #abort: (() => void) | undefined;
  #aborted = false;
  #started = false;
  #watching = false;
  constructor(
    readonly request: FunctionRequest,
    readonly response: ServerResponse,
    private readonly subscriber: { readonly closed: boolean; next(job: HttpJob): void },
    /** When the request was whole (its body read), `performance.now()`. */
    readonly arrivedAt: number,
  ) {}

  /**
   * Listens for the client going away, from the moment it matters: the request waits in the queue, or its run did
   * not end at once (most runs of functions on the calling thread end before anyone could leave).
   */
  #watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    const response = this.response;
    if (response.destroyed) {
      this.#closed();
      return;
    }
    response.once('close', () => {
      if (!response.writableFinished) this.#closed();
    });
  }

  #closed(): void {
    this.#aborted = true;
    if (!this.#started) this.#slot?.cancel();
    const listener = this.#abort;
    this.#abort = undefined;
    listener?.();
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  onAbort(listener: () => void): void {
    this.#abort = listener;
    this.#watch();
    if (this.#aborted && this.#abort === listener) {
      this.#abort = undefined;
      listener();
    }
  }

  readonly release = (): void => {
    this.#abort = undefined;
    this.#slot?.release();
  };

  /** The gate took the request: it runs (then `start` was called) or waits in the queue. */
  admitted(slot: Slot): void {
    this.#slot ??= slot;
    if (!this.#started) this.#watch();
  }

  /** The gate gave the slot (at once, or after the queue). */
  start(slot: Slot): void {
    this.#slot = slot;
    this.#started = true;
    if (this.#aborted || this.subscriber.closed) {
      slot.release();
      if (!this.#aborted) refuseStopping(this.response);
      return;
    }
    this.subscriber.next(this);
  }

  /** The gate refused the request as it left the queue. */
  shed(reason: Refusal): void {
    refuseOverloaded(this.response, undefined, reason);
  }
}

/** 503 for a request the handler cannot take now, with `Retry-After` from the estimated wait. */
function refuseOverloaded(response: ServerResponse, gate: Gate | undefined, reason: Refusal): void {
  if (response.headersSent || response.destroyed) return;
  const wait = gate?.estimatedWaitMs() ?? 1000;
  response.setHeader('retry-after', String(Math.max(1, Math.min(120, Math.ceil(wait / 1000)))));
  const why = reason === 'time' ? 'it could not finish within its time limit' : reason === 'memory' ? 'its queue holds too many bytes' : 'its queue is full';
  sendJson(response, 503, { status: 503, message: `the handler is overloaded: ${why}; retry later` });
}

/** 503 for a request that was accepted but can no longer be run: the route stopped while it waited. */
function refuseStopping(response: ServerResponse): void {
  if (response.headersSent || response.destroyed) return;
  response.setHeader('connection', 'close');
  sendJson(response, 503, { status: 503, message: 'the server is shutting down' });
}

/**
 * The request object of docs/reference/host-abi.md §6 for an HTTP request: header keys lower-cased, first value only; its id is the
 * client's `X-Request-ID` when usable, else a fresh UUID (see {@link requestIdOf}).
 */
export function requestFromHttp(incoming: IncomingMessage, body: Uint8Array, params: Record<string, string>): FunctionRequest {
  // A literal of every field: createRequest's defaults would cost an object more per request.
  return { method: incoming.method ?? 'GET', url: incoming.url ?? '/', id: requestIdOf(incoming), body, headers: firstValues(incoming), params, state: {}, respHeaders: {} };
}

/**
 * A request's headers as the functions see them: names lower-cased, the first value of a repeated header (the one
 * Go's Header.Get gave Atmo's functions). Node has built the same map already (its server reads `Expect` and `Host`
 * from it) unless a name is repeated, where it joins or drops values: that map is taken when it has one entry per
 * header received, and it becomes the request's (the request is made from it once, and nothing reads it after).
 */
function firstValues(incoming: IncomingMessage): Record<string, string> {
  const raw = incoming.rawHeaders;
  const built = incoming.headers as Record<string, string>;
  let names = 0;
  for (const _ in built) names += 1;
  // (`set-cookie` is an array in Node's map even once.)
  if (names * 2 === raw.length && built['set-cookie'] === undefined) return built;
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = lowerCase(raw[i] as string);
    if (headers[name] === undefined) headers[name] = raw[i + 1] as string;
  }
  return headers;
}

/** Header names seen, lower-cased: a handful of distinct names come back on every request. */
const LOWER = new Map<string, string>();
const LOWER_LIMIT = 1024;

function lowerCase(name: string): string {
  let lower = LOWER.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (LOWER.size < LOWER_LIMIT) LOWER.set(name, lower);
  }
  return lower;
}

/**
 * Reads the body and calls `done` with it, or with `undefined` when it passes `limit` bytes (the rest is drained).
 * Nothing is called when the connection closes before the end of the body.
 */
export function readBody(incoming: IncomingMessage, limit: number, done: (body: Uint8Array | undefined) => void): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  let tooLarge = false;
  incoming.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > limit) {
      tooLarge = true;
      first = undefined;
      chunks = undefined;
      return;
    }
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  });
  incoming.on('end', () => {
    if (tooLarge) done(undefined);
    else if (chunks !== undefined) done(concatBytes(chunks));
    else if (first !== undefined) done(copyBytes(first));
    else done(EMPTY);
  });
}
