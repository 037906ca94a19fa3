/**
 * examples/counter, as its README says, on the in-memory cache: the curls of "Run it" are replayed against the app
 * served by createEngine. And the committed `.wasm` files must be what their sources build to today.
 * (The same curls against Redis: counter.integration.spec.ts.)
 */
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { curls, examplePath, expectCommittedWasm, expectCurl, readExample, shellCommands, expectCasesPass } from './support.js';

afterAll(cleanupApps);

const README = await readExample('counter', 'README.md');

describe('examples/counter', () => {
  it('counter README - starts the app with npx e2rx start examples/counter, then four curls', () => {
    const commands = shellCommands(README, 'Run it');
    expect(commands[0]?.line).toBe('npx e2rx start examples/counter');
    expect(curls(commands).map((curl) => `${curl.method} ${curl.path}`)).toEqual([
      'POST /counters/visits',
      'POST /counters/visits',
      'GET /counters/visits',
      'GET /counters/signups',
    ]);
  });

  it('counter README - every curl of "Run it" prints what the README says (in-memory cache)', async () => {
    const engine = createEngine({ app: examplePath('counter'), port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    const port = await engine.start();
    try {
      expect(engine.health()).toEqual({ healthy: true, connections: {} });
      for (const curl of curls(shellCommands(README, 'Run it'))) await expectCurl(port, curl);
    } finally {
      await engine.stop();
    }
  });

  it('counter - the in-memory counts start again from 0 with a new engine', async () => {
    for (let round = 0; round < 2; round += 1) {
      const engine = createEngine({ app: examplePath('counter'), port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
      const port = await engine.start();
      try {
        await expectCurl(port, { line: 'POST', method: 'POST', path: '/counters/restart', headers: {}, body: undefined, includeHeaders: false, expected: ['1'] });
      } finally {
        await engine.stop();
      }
    }
  });

  it('counter - e2rx test: the cases of its Directive.test.yaml pass', async () => {
    expect(await expectCasesPass('counter')).toBeGreaterThan(0);
  });

  it('counter - the committed .wasm files are what their sources build to (rebuild them after a change)', async () => {
    await expectCommittedWasm('counter');
  }, 120_000);
});
