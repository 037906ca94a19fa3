/**
 * The `headless` handler kind (`e2rx start --headless`): every function of the app served at
 * `POST /<identifier>/<namespace>/<fn>/<version>`, its state and parameters taken from the `X-Atmo-State` and
 * `X-Atmo-Params` headers.
 *
 * @module
 */
import { takeUntil } from 'rxjs';
import type { Runnable, Step } from '../directive/model.js';
import { headlessRequest } from '../sources/headless.js';
import type { HttpJob } from '../messages/http-job.js';
import { fromHttpRoute } from '../sources/http.js';
import { DEFAULT_GROUP_TIMEOUT_MS } from '../steps/group.js';
import { defineHandlerKind } from './handler-kind.js';
import { serveHttp } from './http.js';
import type { HeadlessRoute } from './plan.js';
import { serveEach } from './serve-each.js';

/** The `headless` kind: one route per runnable. */
export const headlessKind = defineHandlerKind<HeadlessRoute, Runnable>({
  name: 'headless',
  keys: ['name', 'namespace'],
  list: 'headlessRoutes',
  accepts: () => true,
  plan(runnable, context) {
    const { identifier, appVersion } = context.directive;
    const path = `/${identifier}/${runnable.namespace}/${runnable.name}/${appVersion}`;
    return { kind: 'headless', id: `headless ${path}`, path, fqfn: runnable.fqfn, fn: runnable.name, bounds: context.bounds(), ...context.auth() };
  },
  build(route, context) {
    const { deps } = context;
    const gate = context.gate(route.bounds);
    const steps: Step[] = [{ kind: 'fn', call: { fn: route.fn, fqfn: route.fqfn, name: route.fn, key: route.fn, with: {}, onErr: undefined } }];
    const run = context.run({ steps, response: undefined, groupTimeoutMs: DEFAULT_GROUP_TIMEOUT_MS, requestTimeoutMs: route.bounds.requestTimeoutMs });
    const recorder = deps.metrics?.handler(route.id);
    return fromHttpRoute(deps.http, {
      method: 'POST',
      path: route.path,
      gate,
      maxBodyBytes: route.bounds.maxBodyBytes,
      toRequest: headlessRequest,
      onRejected: () => recorder?.rejected(),
      ...context.authenticator(route.auth),
    }).pipe(
      takeUntil(deps.stopAccepting),
      serveEach<HttpJob>((job, done) => serveHttp(job, run, { 'x-atmo-requestid': job.request.id, 'x-suborbital-requestid': job.request.id }, done)),
    );
  },
});
