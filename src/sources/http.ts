/**
 * HTTP requests of one route as an Observable of jobs, with the handler's bounds enforced at the door: 413 for a
 * body over the limit, 503 with `Retry-After` when the in-flight bound and its queue are full.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Observable } from 'rxjs';
import type { Gate } from '../engine/gate.js';
import { concatBytes, createRequest, type FunctionRequest } from '../runtime/request.js';
import { sendJson, type HttpServer } from '../server/http-server.js';
import { toRouterPath } from '../directive/index.js';

/** One HTTP request waiting to be run. */
export interface HttpJob {
  readonly request: FunctionRequest;
  readonly response: ServerResponse;
  /** Aborts when the client goes away before the reply. */
  readonly signal: AbortSignal;
  /** Frees the in-flight slot; call once the reply is written. A plain function: may be passed on detached (`finalize(job.release)`). */
  readonly release: () => void;
}

/** Options of {@link fromHttpRoute}. */
export interface HttpRouteOptions {
  readonly method: string;
  /** The route in httprouter syntax (`/users/:id`, `/files/*path`). */
  readonly path: string;
  readonly gate: Gate;
  readonly maxBodyBytes: number;
  /** Called for each request refused at the door: 413 (body too large) or 503 (in-flight bound and queue full). */
  readonly onRejected?: (status: 413 | 503) => void;
  /** Builds the job's request (default: {@link requestFromHttp}). */
  readonly toRequest?: (incoming: IncomingMessage, body: Uint8Array, params: Record<string, string>) => FunctionRequest;
}

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
  return new Observable<HttpJob>((subscriber) => {
    server.route(options.method, routerPath, async (incoming, response, rawParams) => {
      const declared = Number(incoming.headers['content-length'] ?? 0);
      if (declared > options.maxBodyBytes) {
        incoming.resume();
        options.onRejected?.(413);
        sendJson(response, 413, { status: 413, message: `request body is larger than ${options.maxBodyBytes} bytes` });
        return;
      }
      const controller = new AbortController();
      response.on('close', () => {
        if (!response.writableFinished) controller.abort(new Error('client closed the connection'));
      });
      const slot = options.gate.acquire(controller.signal);
      if (!slot) {
        incoming.resume();
        options.onRejected?.(503);
        response.setHeader('retry-after', '1');
        sendJson(response, 503, { status: 503, message: 'the handler is at its in-flight bound; retry later' });
        return;
      }
      let release: () => void;
      try {
        release = await slot;
      } catch {
        return;
      }
      if (subscriber.closed) {
        // The source stopped (the engine is stopping) while this request waited for a slot.
        release();
        refuseStopping(incoming, response);
        return;
      }
      let body: Uint8Array | undefined;
      try {
        body = await readBody(incoming, options.maxBodyBytes);
      } catch {
        // The client went away before the end of its body: nothing to run or answer, but the slot must be freed.
        release();
        return;
      }
      if (controller.signal.aborted) {
        release();
        return;
      }
      if (subscriber.closed) {
        release();
        refuseStopping(incoming, response);
        return;
      }
      if (body === undefined) {
        release();
        options.onRejected?.(413);
        sendJson(response, 413, { status: 413, message: `request body is larger than ${options.maxBodyBytes} bytes` });
        return;
      }
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(rawParams)) {
        if (value === undefined) continue;
        // httprouter (Atmo's router) gives a catch-all its leading slash: `/files/*path` on `/files/a/b` is `/a/b`.
        if (name === '*' && catchAll) params[catchAll] = `/${value}`;
        else params[name] = value;
      }
      subscriber.next({ request: toRequest(incoming, body, params), response, signal: controller.signal, release });
    });
    return () => {
      server.unroute(options.method, routerPath);
    };
  });
}

/** 503 for a request that was accepted but can no longer be run: the route stopped while it waited. */
function refuseStopping(incoming: IncomingMessage, response: ServerResponse): void {
  incoming.resume();
  response.setHeader('connection', 'close');
  sendJson(response, 503, { status: 503, message: 'the server is shutting down' });
}

/** The request object of spec §2.1 for an HTTP request: header keys lower-cased, first value only. */
export function requestFromHttp(incoming: IncomingMessage, body: Uint8Array, params: Record<string, string>): FunctionRequest {
  // headersDistinct keeps repeated headers apart (incoming.headers joins most of them with ', '): the first value
  // is the one Go's Header.Get gave Atmo's functions.
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(incoming.headersDistinct)) {
    if (values !== undefined) headers[name.toLowerCase()] = values[0] ?? '';
  }
  return createRequest({ method: incoming.method ?? 'GET', url: incoming.url ?? '/', body, headers, params });
}

/**
 * Reads the body, or `undefined` when it passes `limit` bytes (the rest is drained). Rejects when the connection
 * closes before the end of the body.
 */
export function readBody(incoming: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let ended = false;
    incoming.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    incoming.on('end', () => {
      ended = true;
      resolve(tooLarge ? undefined : concatBytes(chunks));
    });
    incoming.on('error', reject);
    incoming.on('close', () => {
      if (!ended) reject(new Error('the client closed the connection before the end of the body'));
    });
  });
}
