/**
 * examples/order-events without NATS or Kafka: the app loads with its publish capability, its test cases pass (they
 * check what a run would publish), and the committed `.wasm` is what its source builds to today. Running it against
 * the brokers: order-events.integration.spec.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../src/app/index.js';
import { resolveCapabilities } from '../../src/directive/capabilities.js';
import { cleanupApps } from '../support/apps.js';
import { examplePath, expectCasesPass, expectCommittedWasm } from './support.js';

afterAll(cleanupApps);

describe('examples/order-events', () => {
  it('order-events - the app loads: POST /orders, publishing allowed to orders.placed and orders-audit', async () => {
    const app = await loadApp(examplePath('order-events'));
    expect(app.warnings).toEqual([]);
    expect(app.directive.handlers).toMatchObject([{ type: 'request', resource: '/orders', method: 'POST' }]);
    expect(resolveCapabilities(app.directive, {}).publish).toMatchObject({ enabled: true, allow: ['orders.placed', 'orders-audit'], connections: { nats: true, kafka: true } });
  });

  it('order-events - e2rx test: the cases of its Directive.test.yaml pass', async () => {
    expect(await expectCasesPass('order-events')).toBe(2);
  });

  it('order-events - the committed .wasm is what its source builds to (rebuild it after a change)', async () => {
    await expectCommittedWasm('order-events');
  }, 120_000);
});
