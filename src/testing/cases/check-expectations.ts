/**
 * A case's expectations checked against what came of its run: one line per expectation not met, saying what was
 * expected and what came.
 *
 * @module
 */
import type { HeaderEntry } from '../../messages/headers.js';
import type { Expectations, LogExpectation, MessageExpectation } from './case-schema.js';
import { jsonMismatch, show } from './json-subset.js';
import type { CaseOutcome } from './run-case.js';
import type { OutputMessage } from './stream-outputs.js';

const decoder = new TextDecoder();

/**
 * The expectations of `expect` that `outcome` does not meet (empty when the case passes).
 *
 * @example
 * ```ts
 * checkExpectations({ status: 200, body: 'hello world' }, outcome); // ['body: expected "hello world", got "hello there"']
 * ```
 */
export function checkExpectations(expect: Expectations, outcome: CaseOutcome): string[] {
  const failures: string[] = [];
  const reply = outcome.reply;
  if (expect.status !== undefined && reply?.status !== expect.status) {
    failures.push(`status: expected ${expect.status}, got ${reply?.status ?? 'no reply'}${reply && reply.status >= 400 ? ` (${decoder.decode(reply.body)})` : ''}`);
  }
  if (expect.headers !== undefined) failures.push(...headerFailures('headers', expect.headers, Object.entries(reply?.headers ?? {})));
  const body = reply?.body ?? (outcome.result.kind === 'ok' ? outcome.result.body : new Uint8Array());
  failures.push(...bodyFailures('', expect, body));
  failures.push(...messageFailures('published', expect.published, outcome.published, outcome));
  failures.push(...messageFailures('deadLetter', expect.deadLetter, outcome.deadLetter, outcome));
  if (expect.publishes !== undefined) failures.push(...publishFailures(expect.publishes === false ? [] : expect.publishes, outcome));
  for (const [index, log] of (expect.logs ?? []).entries()) {
    if (!outcome.logs.some((line) => logMatches(line, log))) {
      const seen = outcome.logs.map((line) => `${line.level} ${line.message}`).join(' | ') || 'none';
      failures.push(`logs[${index}]: no log line ${describeLog(log)} (lines: ${seen})`);
    }
  }
  for (const [key, value] of Object.entries(expect.cache ?? {})) {
    const actual = outcome.cache.get(key);
    const text = actual === undefined ? null : decoder.decode(actual);
    if (text !== value) failures.push(`cache[${key}]: expected ${value === null ? 'no value' : show(value)}, got ${text === null ? 'no value' : show(text)}`);
  }
  return failures;
}

function bodyFailures(prefix: string, expect: { body?: string | undefined; json?: unknown; match?: string | undefined }, bytes: Uint8Array): string[] {
  const failures: string[] = [];
  const text = decoder.decode(bytes);
  if (expect.body !== undefined && text !== expect.body) failures.push(`${prefix}body: expected ${show(expect.body)}, got ${show(text)}`);
  if (expect.json !== undefined) {
    let actual: unknown;
    try {
      actual = JSON.parse(text) as unknown;
    } catch {
      failures.push(`${prefix}json: the body is not JSON: ${show(text)}`);
      return failures;
    }
    const mismatch = jsonMismatch(actual, expect.json);
    if (mismatch !== undefined) failures.push(`${prefix}json: ${mismatch} (body: ${show(text)})`);
  }
  if (expect.match !== undefined && !new RegExp(expect.match).test(text)) failures.push(`${prefix}match: ${show(text)} does not match /${expect.match}/`);
  return failures;
}

function headerFailures(label: string, expected: Readonly<Record<string, string | null>>, actual: readonly HeaderEntry[]): string[] {
  const failures: string[] = [];
  for (const [name, value] of Object.entries(expected)) {
    const found = actual.find(([candidate]) => candidate.toLowerCase() === name.toLowerCase());
    const got = found === undefined ? undefined : typeof found[1] === 'string' ? found[1] : decoder.decode(found[1]);
    if (value === null) {
      if (got !== undefined) failures.push(`${label}.${name}: expected no such header, got ${show(got)}`);
    } else if (got !== value) {
      failures.push(`${label}.${name}: expected ${show(value)}, got ${got === undefined ? 'no such header' : show(got)}`);
    }
  }
  return failures;
}

function messageFailures(label: string, expected: MessageExpectation | false | undefined, actual: OutputMessage | undefined, outcome: CaseOutcome): string[] {
  if (expected === undefined) return [];
  if (expected === false) return actual === undefined ? [] : [`${label}: expected nothing, got a message to ${actual.to}: ${show(decoder.decode(actual.body))}`];
  if (actual === undefined) return [`${label}: expected a message, got none (the run ended: ${runSummary(outcome)})`];
  const failures: string[] = [];
  if (expected.to !== undefined && actual.to !== expected.to) failures.push(`${label}.to: expected ${show(expected.to)}, got ${show(actual.to)}`);
  if (expected.key !== undefined && actual.key !== expected.key) failures.push(`${label}.key: expected ${show(expected.key)}, got ${actual.key === undefined ? 'no key' : show(actual.key)}`);
  if (expected.headers !== undefined) failures.push(...headerFailures(`${label}.headers`, expected.headers, actual.headers));
  failures.push(...bodyFailures(`${label}.`, expected, actual.body));
  return failures;
}

/** (e2rx) The messages a successful run sends (`RunResult.publishes`), as the outputs of a case. */
function publishedMessages(outcome: CaseOutcome): OutputMessage[] {
  if (outcome.result.kind !== 'ok') return [];
  return (outcome.result.publishes ?? []).map((message) => ({
    to: message.target,
    key: message.key === undefined ? undefined : decoder.decode(message.key),
    headers: message.headers,
    body: message.body,
  }));
}

function publishFailures(expected: readonly MessageExpectation[], outcome: CaseOutcome): string[] {
  const actual = publishedMessages(outcome);
  const failures: string[] = [];
  if (actual.length !== expected.length) {
    const seen = actual.map((message) => message.to).join(', ') || 'none';
    failures.push(`publishes: expected ${expected.length} message(s), got ${actual.length} (${seen}; the run ended: ${runSummary(outcome)})`);
  }
  expected.forEach((message, index) => {
    const found = actual[index];
    if (found !== undefined) failures.push(...messageFailures(`publishes[${index}]`, message, found, outcome));
  });
  return failures;
}

function logMatches(line: CaseOutcome['logs'][number], log: LogExpectation): boolean {
  if (log.level !== undefined && line.level !== log.level) return false;
  if (log.fn !== undefined && line.fn !== log.fn) return false;
  if (log.message !== undefined && !line.message.includes(log.message)) return false;
  return log.match === undefined || new RegExp(log.match).test(line.message);
}

function describeLog(log: LogExpectation): string {
  const parts = [
    log.level !== undefined ? `at ${log.level}` : '',
    log.fn !== undefined ? `from ${log.fn}` : '',
    log.message !== undefined ? `containing ${show(log.message)}` : '',
    log.match !== undefined ? `matching /${log.match}/` : '',
  ];
  return parts.filter((part) => part !== '').join(' ');
}

/** How the run ended, in a few words. */
export function runSummary(outcome: CaseOutcome): string {
  const { result } = outcome;
  const tries = outcome.attempts > 1 ? ` after ${outcome.attempts} attempts` : '';
  if (result.kind === 'ok') return `ok${tries}`;
  if (result.kind === 'runError') return `error ${result.error.code} ${result.error.message}${tries}`;
  return `failure ${result.error.message}${tries}`;
}
