/**
 * Step rules (docs/reference/directive.md#steps): each step is a fn, a group or a forEach; every fn exists; `with` only names keys
 * that earlier steps produced; `onErr` is well-formed. Shared by handlers and schedules.
 *
 * @module
 */
import { findRunnable } from '../fqfn.js';
import type { DirectivePath } from '../problem.js';
import type { CallInput, OnErrInput, StepInput } from '../schema.js';
import type { RuleContext } from './context.js';

const DIRECTIVES = ['return', 'continue'];

/** The state key a call's output is stored under: `as`, else the `fn` string as written. */
export function stateKeyOf(call: { readonly fn?: string | undefined; readonly as?: string | undefined }): string {
  return call.as || call.fn || '';
}

/**
 * Checks a list of steps. `kind` and `name` build the original's labels (`handler` and `POST /hello`, or `schedule`
 * and its name); `initialKeys` are the state keys available before the first step.
 *
 * @returns the state keys available after the last step.
 */
export function checkSteps(
  context: RuleContext,
  steps: readonly StepInput[],
  path: DirectivePath,
  kind: 'handler' | 'schedule',
  name: string,
  initialKeys: readonly string[],
): Set<string> {
  const available = new Set(initialKeys);
  steps.forEach((step, index) => {
    const stepPath = [...path, index];
    const shape = classify(step);
    if (shape === undefined) {
      context.report(stepPath, `step at position ${index} for ${kind} ${name} isn't an Fn or Group`);
      return;
    }
    const produced: string[] = [];
    const checkWith = (aliases: Readonly<Record<string, string>> | undefined, withPath: DirectivePath): void => {
      for (const [alias, key] of Object.entries(aliases ?? {})) {
        if (!available.has(key)) {
          context.report(
            [...withPath, 'with', alias],
            `${kind} for ${name} has 'with' value at step ${index} referencing a key that is not yet available in the handler's state: ${key}`,
          );
        }
      }
    };
    const checkCall = (call: CallInput, callPath: DirectivePath): void => {
      checkFn(context, call.fn, [...callPath, 'fn'], kind, name, index);
      checkWith(call.with, callPath);
      checkOnErr(context, call.onErr, [...callPath, 'onErr'], kind, name, index);
      produced.push(stateKeyOf(call));
    };
    if (shape === 'fn') {
      checkCall(step, stepPath);
    } else if (shape === 'group') {
      (step.group ?? []).forEach((member, memberIndex) => checkCall(member, [...stepPath, 'group', memberIndex]));
      checkOnErr(context, step.onErr, [...stepPath, 'onErr'], kind, name, index);
      checkWith(step.with, stepPath);
    } else {
      const forEach = step.forEach ?? {};
      const forEachPath = [...stepPath, 'forEach'];
      if (!forEach.in) {
        context.report(forEachPath, `${kind} for ${name} has a 'forEach' at step ${index} without 'in': name the state key that holds the JSON array`);
      } else if (!available.has(forEach.in)) {
        context.report(
          [...forEachPath, 'in'],
          `${kind} for ${name} has 'forEach.in' value at step ${index} referencing a key that is not yet available in the handler's state: ${forEach.in}`,
        );
      }
      checkFn(context, forEach.fn, [...forEachPath, 'fn'], kind, name, index);
      checkOnErr(context, forEach.onErr, [...forEachPath, 'onErr'], kind, name, index);
      produced.push(stateKeyOf(forEach));
    }
    for (const key of produced) available.add(key);
  });
  return available;
}

/** `fn`, `group`, `forEach`, or `undefined` when the step is none or more than one of them. */
export function classify(step: StepInput): 'fn' | 'group' | 'forEach' | undefined {
  const hasFn = Boolean(step.fn);
  const hasGroup = step.group !== undefined && step.group.length > 0;
  const hasForEach = step.forEach !== undefined;
  if (hasFn && !hasGroup && !hasForEach && step.group === undefined) return 'fn';
  if (!hasFn && hasGroup && !hasForEach) return 'group';
  if (!hasFn && step.group === undefined && hasForEach) return 'forEach';
  return undefined;
}

function checkFn(context: RuleContext, fn: string | undefined, path: DirectivePath, kind: string, name: string, index: number): void {
  const { directive, runnables } = context;
  const app = { identifier: directive.identifier ?? '', appVersion: directive.appVersion ?? '' };
  if (fn && findRunnable(fn, runnables, app)) return;
  context.report(path, `${kind} for ${name} lists fn at step ${index} that does not exist: ${fn ?? ''} (did you forget a namespace?)`);
}

function checkOnErr(context: RuleContext, onErr: OnErrInput | undefined, path: DirectivePath, kind: string, name: string, index: number): void {
  if (!onErr) return;
  const codes = Object.entries(onErr.code ?? {});
  const label = `${kind} for ${name}`;
  if (codes.length > 0) {
    if (onErr.any) context.report([...path, 'any'], `${label} has 'onErr.any' value at step ${index} while specific codes are specified, use 'other' instead`);
    if (onErr.other && !DIRECTIVES.includes(onErr.other)) {
      context.report([...path, 'other'], `${label} has 'onErr.other' value at step ${index} with an invalid error directive: ${onErr.other}`);
    }
  } else {
    if (onErr.other) context.report([...path, 'other'], `${label} has 'onErr.other' value at step ${index} while specific codes are not specified, use 'any' instead`);
    if (onErr.any && !DIRECTIVES.includes(onErr.any)) {
      context.report([...path, 'any'], `${label} has 'onErr.any' value at step ${index} with an invalid error directive: ${onErr.any}`);
    }
  }
  for (const [code, directive] of codes) {
    if (!/^-?\d+$/.test(code)) {
      context.report([...path, 'code', code], `${label} has 'onErr.code' key at step ${index} that is not an integer error code: ${code}`, 'error', 'key');
    }
    if (!DIRECTIVES.includes(directive)) {
      context.report(
        [...path, 'code', code],
        `${label} has 'onErr.code' value at step ${index} with an invalid error directive for code ${code}: ${directive}`,
      );
    }
  }
}
