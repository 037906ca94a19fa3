/**
 * examples/nats-enrich without NATS: the app loads, with its static files, and the committed `.wasm` is what its
 * source builds to today. Running it against NATS: nats-enrich.integration.spec.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../src/app/index.js';
import { cleanupApps } from '../support/apps.js';
import { examplePath, expectCommittedWasm, expectCasesPass } from './support.js';

afterAll(cleanupApps);

describe('examples/nats-enrich', () => {
  it('nats-enrich - the app loads: one NATS stream handler orders.new -> orders.enriched, dead letters to orders.rejected', async () => {
    const app = await loadApp(examplePath('nats-enrich'));
    expect(app.warnings).toEqual([]);
    expect(app.directive.handlers).toMatchObject([
      { type: 'stream', source: 'nats', resource: 'orders.new', respondTo: 'orders.enriched', deadLetter: 'orders.rejected' },
    ]);
    expect(new TextDecoder().decode(await app.staticFiles.read('tiers/ada.txt'))).toBe('gold\n');
  });

  it('nats-enrich - e2rx test: the cases of its Directive.test.yaml pass', async () => {
    expect(await expectCasesPass('nats-enrich')).toBeGreaterThan(0);
  });

  it('nats-enrich - the committed .wasm is what its source builds to (rebuild it after a change)', async () => {
    await expectCommittedWasm('nats-enrich');
  }, 120_000);
});
