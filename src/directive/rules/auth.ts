/**
 * Inbound authentication rules (e2rx): each `auth` block (app-wide and per handler) is well-formed, applies only to
 * request and websocket handlers, and every handler it protects ends up with a way to authenticate. `alg: none` and
 * algorithm confusion (an HMAC algorithm verified with a public key) are refused here, before anything runs.
 *
 * @see ../../../docs/reference/directive.md#auth-e2rx
 * @module
 */
import { AUTH_STATE_KEY, effectiveAuth, isJwtAlgorithm, JWT_ALGORITHMS } from '../auth.js';
import { envReference } from '../env.js';
import { compact } from '../normalize.js';
import type { DirectivePath } from '../problem.js';
import type { AuthInput, HandlerInput, StepInput } from '../schema.js';
import { closestMatch } from '../suggest.js';
import type { Rule, RuleContext } from './context.js';
import { stateKeyOf } from './steps.js';

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A scope token (RFC 6749 §3.3): printable ASCII but space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Every `auth` rule. */
export const authRule: Rule = (context) => {
  const { directive } = context;
  if (directive.auth) checkBlock(context, directive.auth, ['auth']);
  (directive.handlers ?? []).forEach((handler, index) => {
    const path = ['handlers', index, 'auth'];
    if (handler.auth) {
      if (!protectable(handler)) {
        context.report(path, `'auth' only applies to request and websocket handlers; remove it or change the source`, 'error', 'key');
        return;
      }
      checkBlock(context, handler.auth, path);
    }
    if (!protectable(handler)) return;
    if (handler.auth === undefined && directive.auth === undefined) return;
    if (effectiveAuth(directive.auth, handler.auth) === undefined) {
      // Off, or without a way to authenticate: reported once for the app-wide block (below), else where the handler's is.
      const merged = { ...directive.auth, ...compact({ ...handler.auth }) };
      if (handler.auth !== undefined && merged.enabled !== false) {
        context.report(path, `'auth' of handler ${label(handler)} has neither 'jwt' nor 'apiKeys': add one, or 'enabled: false'`);
      }
      return;
    }
    (handler.steps ?? []).forEach((step, stepIndex) => checkStateKey(context, step, ['handlers', index, 'steps', stepIndex], handler));
  });
  const app = directive.auth;
  if (app && app.enabled !== false && app.jwt === undefined && app.apiKeys === undefined) {
    context.report(['auth'], `'auth' has neither 'jwt' nor 'apiKeys': add one, or 'enabled: false'`);
  }
};

/**
 * The state keys that authentication puts in a handler's state before its first step (`auth` when the handler is
 * protected), for the `with` rule.
 */
export function authStateKeys(app: AuthInput | undefined, handler: HandlerInput): string[] {
  return protectable(handler) && effectiveAuth(app, handler.auth) !== undefined ? [AUTH_STATE_KEY] : [];
}

/** Request handlers and websocket streams (source `server`, the default). */
function protectable(handler: HandlerInput): boolean {
  if (handler.type === 'request') return true;
  return handler.type === 'stream' && (handler.source === undefined || handler.source === '' || handler.source === 'server');
}

function label(handler: HandlerInput): string {
  return `${handler.method ?? 'GET'} ${handler.resource ?? ''}`;
}

function checkBlock(context: RuleContext, block: AuthInput, path: DirectivePath): void {
  const { report } = context;
  const jwt = block.jwt;
  if (jwt) {
    const jwtPath = [...path, 'jwt'];
    const sources = (['secret', 'publicKey', 'jwksUrl'] as const).filter((key) => jwt[key] !== undefined);
    if (sources.length === 0) report(jwtPath, `'jwt' needs one of 'secret', 'publicKey' or 'jwksUrl': how tokens are verified`);
    if (sources.length > 1) report([...jwtPath, sources[1] as string], `'jwt' has both '${sources[0] as string}' and '${sources[1] as string}': give exactly one`, 'error', 'key');
    for (const key of ['secret', 'publicKey', 'jwksUrl'] as const) {
      const value = jwt[key];
      if (value === undefined) continue;
      if (value === '') report([...jwtPath, key], `'jwt.${key}' is empty`);
      else if (key === 'secret' && envReference(value) === undefined) {
        report([...jwtPath, key], `'jwt.secret' is written in the Directive, where anyone who reads the file can sign tokens: use env(VAR)`, 'warning');
      }
    }
    if (jwt.jwksUrl && envReference(jwt.jwksUrl) === undefined) checkJwksUrl(context, jwt.jwksUrl, [...jwtPath, 'jwksUrl']);
    const kind = jwt.secret !== undefined ? 'secret' : jwt.publicKey !== undefined || jwt.jwksUrl !== undefined ? 'public' : undefined;
    (jwt.algorithms ?? []).forEach((algorithm, index) => {
      const at = [...jwtPath, 'algorithms', index];
      if (algorithm.toLowerCase() === 'none') {
        report(at, `'none' is never accepted: an unsigned token proves nothing; remove it`);
      } else if (!isJwtAlgorithm(algorithm)) {
        const suggestion = closestMatch(algorithm, Object.keys(JWT_ALGORITHMS));
        report(at, `unknown JWT algorithm '${algorithm}'${suggestion ? `; did you mean '${suggestion}'?` : `; known: ${Object.keys(JWT_ALGORITHMS).join(', ')}`}`);
      } else if (kind === 'secret' && JWT_ALGORITHMS[algorithm] === 'public') {
        report(at, `'${algorithm}' is verified with a public key, not a 'secret': use 'publicKey' or 'jwksUrl', or an HS algorithm`);
      } else if (kind === 'public' && JWT_ALGORITHMS[algorithm] === 'secret') {
        report(at, `'${algorithm}' is an HMAC algorithm: verified with a public key, anyone who has the key could sign tokens; use 'secret', or an asymmetric algorithm`);
      }
    });
    if (jwt.audience === undefined || jwt.audience.length === 0) {
      report(jwtPath, `'jwt' has no 'audience': tokens issued for any other service are accepted too; set the audience this app expects`, 'warning', 'key');
    }
  }
  const apiKeys = block.apiKeys;
  if (apiKeys) {
    const keysPath = [...path, 'apiKeys'];
    if (apiKeys.header !== undefined && !HEADER_NAME.test(apiKeys.header)) report([...keysPath, 'header'], `'apiKeys.header' is not a valid header name: ${apiKeys.header}`);
    if (apiKeys.header?.toLowerCase() === 'authorization' && jwt) {
      report([...keysPath, 'header'], `'apiKeys.header' is Authorization, which carries the bearer token of 'jwt': pick another header`);
    }
    const keys = Object.entries(apiKeys.keys ?? {});
    if (keys.length === 0) report(keysPath, `'apiKeys' needs at least one key under 'keys' (name: env(VAR))`, 'error', 'key');
    for (const [name, value] of keys) {
      if (value === '') report([...keysPath, 'keys', name], `API key '${name}' is empty`);
      else if (envReference(value) === undefined) {
        report([...keysPath, 'keys', name], `API key '${name}' is written in the Directive, where anyone who reads the file can use it: use env(VAR)`, 'warning');
      }
    }
  }
  if (block.realm !== undefined && !/^[\x20-\x7E]*$/.test(block.realm)) report([...path, 'realm'], `'realm' must be printable ASCII (it goes into a header): ${block.realm}`);
  (block.scopes ?? []).forEach((scope, index) => {
    if (!SCOPE_TOKEN.test(scope)) report([...path, 'scopes', index], `scope '${scope}' is not a scope token (no spaces, quotes or backslashes); list each scope on its own`);
  });
}

function checkJwksUrl(context: RuleContext, value: string, path: DirectivePath): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    context.report(path, `'jwt.jwksUrl' is not a URL: ${value}`);
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    context.report(path, `'jwt.jwksUrl' must be an https:// URL: ${value}`);
  } else if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    context.report(path, `'jwt.jwksUrl' is plain http: whoever sits on the network can hand out keys; use https://`, 'warning');
  }
}

/** A step that stores its output under `auth` would replace the verified identity for the steps after it. */
function checkStateKey(context: RuleContext, step: StepInput, path: DirectivePath, handler: HandlerInput): void {
  const calls: { readonly call: { fn?: string | undefined; as?: string | undefined }; readonly at: DirectivePath }[] = [];
  if (step.group) step.group.forEach((member, index) => calls.push({ call: member, at: [...path, 'group', index] }));
  else if (step.forEach) calls.push({ call: step.forEach, at: [...path, 'forEach'] });
  else if (step.fn) calls.push({ call: step, at: path });
  for (const { call, at } of calls) {
    if (stateKeyOf(call) !== AUTH_STATE_KEY) continue;
    context.report(
      [...at, call.as !== undefined ? 'as' : 'fn'],
      `handler ${label(handler)} stores a step's output under '${AUTH_STATE_KEY}', which holds the verified identity: choose another 'as'`,
    );
  }
}
