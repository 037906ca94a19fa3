/**
 * examples/users and examples/users-mysql without a database: both Directives load, serve the same routes with the
 * same functions (the MySQL app re-exports the sources of the PostgreSQL one), and the committed `.wasm` files are
 * what their sources build to today. Running them against the databases: users.integration.spec.ts.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../src/app/index.js';
import { cleanupApps } from '../support/apps.js';
import { examplePath, expectCommittedWasm, expectCasesPass } from './support.js';

afterAll(cleanupApps);

const FUNCTIONS = ['create-user', 'delete-user', 'get-user', 'list-users', 'update-user'];

describe('examples/users and examples/users-mysql', () => {
  it('users - both apps load, with the same five functions and routes, on PostgreSQL and on MySQL', async () => {
    const postgres = await loadApp(examplePath('users'));
    const mysql = await loadApp(examplePath('users-mysql'));
    expect(postgres.directive.connections.database?.type).toBe('postgresql');
    expect(mysql.directive.connections.database?.type).toBe('mysql');
    const routes = (app: typeof postgres) =>
      app.directive.handlers.map((handler) => `${handler.method} ${handler.resource} ${handler.steps.map((step) => (step.kind === 'fn' ? step.call.fn : step.kind)).join()}`);
    expect(routes(postgres)).toEqual([
      'POST /users create-user',
      'GET /users list-users',
      'GET /users/:id get-user',
      'PUT /users/:id update-user',
      'DELETE /users/:id delete-user',
    ]);
    expect(routes(mysql)).toEqual(routes(postgres));
    expect(postgres.directive.runnables.map((fn) => fn.name).sort()).toEqual(FUNCTIONS);
    const queries = (app: typeof postgres) => app.directive.queries.map((query) => `${query.name} ${query.type} ${query.varCount}`);
    expect(queries(mysql)).toEqual(queries(postgres));
    expect(postgres.warnings).toEqual([]);
    expect(mysql.warnings).toEqual([]);
  });

  it('users-mysql - each function re-exports the one of examples/users', async () => {
    for (const fn of FUNCTIONS) {
      const source = await readFile(examplePath('users-mysql', fn, 'index.ts'), 'utf8');
      expect(source).toContain(`export { run } from "../../users/${fn}/index";`);
    }
  });

  it('users - e2rx test: the cases of its Directive.test.yaml pass', async () => {
    expect(await expectCasesPass('users')).toBeGreaterThan(0);
  });

  it('users-mysql - e2rx test: the cases of its Directive.test.yaml pass', async () => {
    expect(await expectCasesPass('users-mysql')).toBeGreaterThan(0);
  });

  it('users - the committed .wasm files are what their sources build to (rebuild them after a change)', async () => {
    await expectCommittedWasm('users');
    await expectCommittedWasm('users-mysql');
  }, 180_000);
});
