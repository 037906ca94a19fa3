/**
 * What a documentation example imports as `vitest` when it is run by {@link runExample}: `describe` runs its body at
 * once, `it`/`test` collect their callbacks (the checking spec runs them after the import), `expect` and `vi` are
 * vitest's own.
 */
export { expect, vi } from 'vitest';

/** A collected `it(name, fn)`. */
export interface CollectedTest {
  readonly name: string;
  readonly fn: () => unknown;
}

/** The tests collected since the last {@link takeCollected}. */
const collected: CollectedTest[] = [];

/** Returns and forgets the collected tests. */
export function takeCollected(): CollectedTest[] {
  return collected.splice(0);
}

export function describe(_name: string, body: () => void): void {
  body();
}

export function it(name: string, fn: () => unknown): void {
  collected.push({ name, fn });
}

export const test = it;

/** Hooks run at once (the examples use them for set-up only). */
export function beforeAll(fn: () => unknown): Promise<unknown> {
  return Promise.resolve(fn());
}
