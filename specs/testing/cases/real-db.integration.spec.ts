/**
 * `e2rx test` with `real: [db]`: a case runs examples/users against PostgreSQL on loopback (DATABASE_URL from the
 * environment), its table created for the spec; the run is on a worker, in real time.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/app/load-app.js';
import { runCaseFile } from '../../../src/testing/cases/run-cases.js';
import { cleanupApps } from '../../support/apps.js';
import { POSTGRES_URL, requireService } from '../../support/services.js';
import { copyExample, uniqueName } from '../../examples/support.js';

afterAll(cleanupApps);

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe('e2rx test cases: real: [db]', () => {
  it('cases - real: [db] queries the database of DATABASE_URL; a wrong expectation still fails', async () => {
    await requireService('postgres');
    const table = uniqueName('users');
    const rename = (text: string): string => text.replace(/\b(FROM|INTO|UPDATE|EXISTS) users\b/g, `$1 ${table}`);
    const app = await copyExample('users', { 'Directive.yaml': rename, 'schema.sql': rename });
    await sql(await readFile(join(app, 'schema.sql'), 'utf8'));
    try {
      await sql(`INSERT INTO ${table} (name, email) VALUES ('Grace', 'grace@example.com')`);
      await writeFile(
        join(app, 'Directive.test.yaml'),
        [
          'cases:',
          '  - name: the user in the database',
          '    request: { path: /users/1 }',
          '    real: [db]',
          '    expect: { status: 200, json: { id: 1, name: Grace } }',
          '  - name: a wrong name',
          '    request: { path: /users/1 }',
          '    real: [db]',
          '    expect: { json: { name: Ada } }',
          '',
        ].join('\n'),
      );
      const report = await runCaseFile(await loadApp(app), { cwd: app, appDir: app, env: { DATABASE_URL: POSTGRES_URL } });
      expect(report.results.map((result) => [result.passed, result.virtual])).toEqual([
        [true, false],
        [false, false],
      ]);
      expect(report.results[1]?.failures[0]).toMatch(/^json: name: expected "Ada", got "Grace"/);
    } finally {
      await sql(`DROP TABLE IF EXISTS ${table}`);
    }
  });
});
