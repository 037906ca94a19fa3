/**
 * `e2rx/testing` and a second copy of rxjs: `marbleRunner` and `compileForTest` refuse a `cold` or a scheduler made
 * by another rxjs than e2rx's, with a message that says why and how to install e2rx instead. The second copy here is
 * rxjs's CommonJS build copied to a temp directory; specs/package/outside-project.spec.ts shows the same with e2rx
 * installed into a project as users do.
 */
import { cp, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as RxjsTesting from 'rxjs/testing';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { compileForTest, marbleRunner } from '../../src/testing/index.js';
import { assertSharedObservable, assertSharedScheduler } from '../../src/testing/shared-rxjs.js';
import { cleanupApps, makeTempDir } from '../support/apps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let foreign: typeof RxjsTesting;

beforeAll(async () => {
  const copy = join(await makeTempDir('e2rx-second-rxjs-'), 'node_modules', 'rxjs');
  await mkdir(copy, { recursive: true });
  await cp(join(ROOT, 'node_modules/rxjs/package.json'), join(copy, 'package.json'));
  await cp(join(ROOT, 'node_modules/rxjs/dist/cjs'), join(copy, 'dist/cjs'), { recursive: true });
  foreign = createRequire(join(copy, '..', '..', 'index.js'))('rxjs/testing') as typeof RxjsTesting;
});

afterAll(cleanupApps);

const directive = `
identifier: com.example.copies
appVersion: v1.0.0
atmoVersion: v0.4.7
handlers:
  - { type: request, resource: /x, method: GET, steps: [ { fn: x } ] }
`;

describe('a second copy of rxjs', () => {
  it('shared rxjs - the copy is really another rxjs (its TestScheduler is none of ours)', () => {
    expect(new foreign.TestScheduler(() => undefined)).not.toBeInstanceOf(TestScheduler);
  });

  it("shared rxjs - marbleRunner refuses the other copy's cold with E2RX_TEST_RXJS_DUPLICATE, saying why and where", () => {
    new foreign.TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold }) => {
      let error: unknown;
      try {
        marbleRunner(cold, { x: { marbles: 'a|' } });
      } catch (caught) {
        error = caught;
      }
      expect(E2rxError.is(error, 'E2RX_TEST_RXJS_DUPLICATE')).toBe(true);
      const { message, hint } = error as E2rxError;
      expect(message).toMatch(/^e2rx\/testing: the cold given to marbleRunner comes from another copy of rxjs than e2rx's \(e2rx uses .*node_modules\/rxjs/);
      expect(message).toContain("e2rx's timers would ignore your TestScheduler");
      expect(hint).toContain('install-links=true');
    });
  });

  it("shared rxjs - a stub function returning the other copy's Observable is refused too", () => {
    new foreign.TestScheduler(() => undefined).run(({ cold }) => {
      expect(() => assertSharedObservable(cold('a|'), 'a stub')).toThrow(/a stub comes from another copy of rxjs/);
    });
  });

  it("shared rxjs - compileForTest refuses the other copy's TestScheduler", () => {
    const scheduler = new foreign.TestScheduler(() => undefined);
    expect(() => compileForTest(directive, { runner: () => undefined as never, scheduler })).toThrow(/the scheduler given to compileForTest comes from another copy/);
  });

  it("shared rxjs - e2rx's own rxjs, and hand-written schedulers, are accepted", () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold }) => {
      expect(() => marbleRunner(cold, {})).not.toThrow();
    });
    expect(() => assertSharedScheduler({ now: () => 0, schedule: () => ({ unsubscribe: () => undefined, closed: false }) }, 'mine')).not.toThrow();
    expect(() => assertSharedObservable('not an observable', 'x')).not.toThrow();
  });
});
