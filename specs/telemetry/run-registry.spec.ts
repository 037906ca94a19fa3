/**
 * The registry of traced runs (src/telemetry/run-registry.ts): runs found by request id while they run, whether one
 * runs at a time (the slot) or many at once (the map), a reused id finding its latest run, and ended runs kept
 * findable only when asked.
 */
import { describe, expect, it } from 'vitest';
import type { RecordedSpan } from '../../src/telemetry/recorded-span.js';
import { RunRegistry, type RunTrace } from '../../src/telemetry/run-registry.js';

function trace(name: string): RunTrace {
  return { span: { name } as unknown as RecordedSpan, step: undefined, call: undefined, callFqfn: undefined, calls: undefined, instant: undefined };
}

describe('RunRegistry', () => {
  it('run registry - finds runs one after the other, and many at once, until each ends', () => {
    const runs = new RunRegistry();
    const a = trace('a');
    runs.start('a', a);
    expect(runs.running('a')).toBe(a);
    runs.end('a', a, false);
    expect(runs.running('a')).toBeUndefined();
    const [b, c, d] = [trace('b'), trace('c'), trace('d')];
    runs.start('b', b);
    runs.start('c', c);
    runs.start('d', d);
    expect([runs.running('b'), runs.running('c'), runs.running('d')]).toEqual([b, c, d]);
    runs.end('b', b, false);
    expect([runs.running('b'), runs.running('c'), runs.running('d')]).toEqual([undefined, c, d]);
    const e = trace('e');
    runs.start('e', e);
    runs.end('d', d, false);
    expect([runs.running('c'), runs.running('d'), runs.running('e')]).toEqual([c, undefined, e]);
    runs.end('c', c, false);
    runs.end('e', e, false);
    expect([runs.running('c'), runs.running('e')]).toEqual([undefined, undefined]);
  });

  it('run registry - a reused request id finds its latest run; the earlier one ending leaves it', () => {
    const runs = new RunRegistry();
    const [first, second, third] = [trace('1'), trace('2'), trace('3')];
    runs.start('same', first);
    runs.start('same', second);
    expect(runs.running('same')).toBe(second);
    runs.end('same', first, false);
    expect(runs.running('same')).toBe(second);
    const other = trace('other');
    runs.start('other', other);
    runs.end('same', second, false);
    runs.start('other', third);
    expect(runs.running('other')).toBe(third);
    runs.end('other', other, false);
    expect(runs.running('other')).toBe(third);
  });

  it('run registry - an ended run stays findable (not running) only when kept', () => {
    const runs = new RunRegistry();
    const [kept, gone] = [trace('kept'), trace('gone')];
    runs.start('kept', kept);
    runs.start('gone', gone);
    runs.end('kept', kept, true);
    runs.end('gone', gone, false);
    expect(runs.find('kept')).toBe(kept);
    expect(runs.running('kept')).toBeUndefined();
    expect(runs.find('gone')).toBeUndefined();
  });
});
