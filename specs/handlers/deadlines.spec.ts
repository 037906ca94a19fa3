/**
 * Request deadlines with one timer per handler (src/handlers/deadlines.ts): in virtual time through an RxJS
 * `VirtualTimeScheduler`, and with the default Node.js timer (one timer, unref'd: it never keeps the process alive).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDeadlines, MAX_TIMER_MS } from '../../src/handlers/deadlines.js';

/** A virtual clock: `advance(ms)` runs every action due by then and leaves `now()` there. */
function virtualTime(): { readonly scheduler: VirtualTimeScheduler; readonly advance: (ms: number) => void } {
  const scheduler = new VirtualTimeScheduler();
  return {
    scheduler,
    advance: (ms) => {
      const until = scheduler.now() + ms;
      // An action at `until` moves the clock there even when no deadline is due.
      scheduler.schedule(() => undefined, ms);
      scheduler.maxFrames = until;
      scheduler.flush();
    },
  };
}

describe('createDeadlines in virtual time', () => {
  it('deadlines - each run expires timeoutMs after it was tracked, in the order tracked', () => {
    const { scheduler, advance } = virtualTime();
    const deadlines = createDeadlines(100, scheduler);
    const expired: string[] = [];
    deadlines.track(() => expired.push(`a@${scheduler.now()}`));
    advance(30);
    deadlines.track(() => expired.push(`b@${scheduler.now()}`));
    deadlines.track(() => expired.push(`c@${scheduler.now()}`));
    advance(50);
    deadlines.track(() => expired.push(`d@${scheduler.now()}`));
    advance(1);
    deadlines.track(() => expired.push(`e@${scheduler.now()}`));
    expect(deadlines.size).toBe(5);
    advance(18);
    expect(expired).toEqual([]);
    advance(1);
    expect(expired).toEqual(['a@100']);
    advance(30);
    expect(expired).toEqual(['a@100', 'b@130', 'c@130']);
    advance(50);
    expect(expired).toEqual(['a@100', 'b@130', 'c@130', 'd@180']);
    advance(1_000);
    expect(expired).toEqual(['a@100', 'b@130', 'c@130', 'd@180', 'e@181']);
    expect(deadlines.size).toBe(0);
  });

  it('deadlines - a limit counted from an earlier moment expires that much sooner, in its place among the others', () => {
    const { scheduler, advance } = virtualTime();
    const deadlines = createDeadlines(100, scheduler);
    const expired: string[] = [];
    advance(50);
    deadlines.track(() => expired.push(`a@${scheduler.now()}`));
    deadlines.track(() => expired.push(`b@${scheduler.now()}`), 50);
    // Work that arrived 40 ms ago, behind two that arrived now: its limit ends first.
    deadlines.track(() => expired.push(`c@${scheduler.now()}`), 10);
    const cleared = deadlines.track(() => expired.push('d'), 20);
    advance(10);
    deadlines.track(() => expired.push(`e@${scheduler.now()}`), 0);
    cleared.clear();
    advance(200);
    expect(expired).toEqual(['e@100', 'c@110', 'a@150', 'b@150']);
    expect(deadlines.size).toBe(0);
  });

  it('deadlines - a cleared run never expires; clearing the earliest leaves the later ones on time', () => {
    const { scheduler, advance } = virtualTime();
    const deadlines = createDeadlines(100, scheduler);
    const expired: string[] = [];
    const a = deadlines.track(() => expired.push('a'));
    advance(10);
    const b = deadlines.track(() => expired.push('b'));
    advance(10);
    deadlines.track(() => expired.push('c'));
    a.clear();
    b.clear();
    b.clear();
    expect(deadlines.size).toBe(1);
    advance(99);
    expect(expired).toEqual([]);
    advance(1);
    expect(expired).toEqual(['c']);
    // Clearing after expiry changes nothing.
    a.clear();
    expect(deadlines.size).toBe(0);
  });

  it('deadlines - clearing every run leaves nothing to expire, and tracking again works', () => {
    const { scheduler, advance } = virtualTime();
    const deadlines = createDeadlines(50, scheduler);
    const expired: number[] = [];
    const handles = Array.from({ length: 10 }, (_, index) => deadlines.track(() => expired.push(index)));
    for (const handle of handles) handle.clear();
    expect(deadlines.size).toBe(0);
    advance(25);
    deadlines.track(() => expired.push(99));
    advance(49);
    expect(expired).toEqual([]);
    advance(1);
    expect(expired).toEqual([99]);
  });

  it('deadlines - many runs cleared out of order behind a long one are compacted away, and the live ones expire in order', () => {
    const { scheduler, advance } = virtualTime();
    const deadlines = createDeadlines(1_000, scheduler);
    const expired: number[] = [];
    const handles = [];
    for (let index = 0; index < 20_000; index += 1) {
      handles.push(deadlines.track(() => expired.push(index)));
      if (index % 100 === 99) advance(1);
    }
    // The first run stays live (it holds the head), so the runs cleared behind it must be compacted.
    const live = new Set([0, 5_000, 12_345, 19_999]);
    handles.forEach((handle, index) => {
      if (!live.has(index)) handle.clear();
    });
    expect(deadlines.size).toBe(4);
    advance(2_000);
    expect(expired).toEqual([...live]);
    expect(deadlines.size).toBe(0);
  });

  it('deadlines - an expiry may track and clear other runs (a reply that starts the next message)', () => {
    const { scheduler, advance } = virtualTime();
    const deadlines = createDeadlines(100, scheduler);
    const expired: string[] = [];
    const later = { handle: undefined as ReturnType<typeof deadlines.track> | undefined };
    deadlines.track(() => {
      expired.push(`a@${scheduler.now()}`);
      later.handle?.clear();
      deadlines.track(() => expired.push(`next@${scheduler.now()}`));
    });
    later.handle = deadlines.track(() => expired.push('cleared'));
    deadlines.track(() => expired.push(`c@${scheduler.now()}`));
    advance(100);
    expect(expired).toEqual(['a@100', 'c@100']);
    advance(100);
    expect(expired).toEqual(['a@100', 'c@100', 'next@200']);
  });

  it('deadlines - a limit past the longest timer (or infinite) is none: nothing expires, nothing is counted', () => {
    const { scheduler, advance } = virtualTime();
    for (const timeout of [Number.POSITIVE_INFINITY, MAX_TIMER_MS + 1]) {
      const deadlines = createDeadlines(timeout, scheduler);
      const expired: number[] = [];
      deadlines.track(() => expired.push(1)).clear();
      deadlines.track(() => expired.push(2));
      expect(deadlines.size).toBe(0);
      advance(MAX_TIMER_MS * 2);
      expect(expired).toEqual([]);
    }
  });
});

describe('createDeadlines with Node.js timers', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('deadlines - one timer serves many runs, and it does not keep the process alive', () => {
    const timers: NodeJS.Timeout[] = [];
    const original = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((handler: () => void, delay?: number) => {
      const timer = original(handler, delay);
      timers.push(timer);
      return timer;
    }));
    const deadlines = createDeadlines(60_000);
    const handles = Array.from({ length: 1_000 }, () => deadlines.track(() => undefined));
    expect(timers).toHaveLength(1);
    expect(timers.every((timer) => !timer.hasRef())).toBe(true);
    for (const handle of handles) handle.clear();
    for (const timer of timers) clearTimeout(timer);
  });

  it('deadlines - runs expire on real time, in order, and a cleared one does not', async () => {
    const deadlines = createDeadlines(20);
    const expired: string[] = [];
    deadlines.track(() => expired.push('a'));
    const b = deadlines.track(() => expired.push('b'));
    deadlines.track(() => expired.push('c'));
    b.clear();
    await new Promise((resolve) => setTimeout(resolve, 5));
    deadlines.track(() => expired.push('d'));
    await vi.waitFor(() => expect(expired).toHaveLength(3), { timeout: 5_000, interval: 10 });
    expect(expired).toEqual(['a', 'c', 'd']);
    expect(deadlines.size).toBe(0);
  });

  it('deadlines - a process with a pending deadline exits on its own', async () => {
    const module = fileURLToPath(new URL('../../src/handlers/deadlines.ts', import.meta.url));
    const script = `
      const { createDeadlines } = await import(${JSON.stringify(module)});
      const deadlines = createDeadlines(600_000);
      deadlines.track(() => { console.log('expired'); });
      console.log('tracked', deadlines.size);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 15_000 });
    expect(stdout.trim()).toBe('tracked 1');
  });
});
