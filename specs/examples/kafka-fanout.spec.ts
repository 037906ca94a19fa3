/**
 * examples/kafka-fanout without Kafka: the app loads (a group of two functions, then a combining step), and the
 * committed `.wasm` files are what their sources build to today. Against Kafka: kafka-fanout.integration.spec.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../src/app/index.js';
import { cleanupApps } from '../support/apps.js';
import { examplePath, expectCommittedWasm, expectCasesPass } from './support.js';

afterAll(cleanupApps);

describe('examples/kafka-fanout', () => {
  it('kafka-fanout - the app loads: orders -> group [tax, shipping] -> quote -> quotes', async () => {
    const app = await loadApp(examplePath('kafka-fanout'));
    expect(app.warnings).toEqual([]);
    expect(app.directive.handlers).toMatchObject([
      {
        type: 'stream',
        source: 'kafka',
        resource: 'orders',
        respondTo: 'quotes',
        steps: [
          { kind: 'group', calls: [{ fn: 'tax' }, { fn: 'shipping' }] },
          { kind: 'fn', call: { fn: 'quote' } },
        ],
      },
    ]);
  });

  it('kafka-fanout - e2rx test: the cases of its Directive.test.yaml pass', async () => {
    expect(await expectCasesPass('kafka-fanout')).toBeGreaterThan(0);
  });

  it('kafka-fanout - the committed .wasm files are what their sources build to (rebuild them after a change)', async () => {
    await expectCommittedWasm('kafka-fanout');
  }, 120_000);
});
