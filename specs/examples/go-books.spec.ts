/**
 * examples/go-books without external services: its README names the commands of "Run it" in order, its Go tests
 * pass (`go -C examples/go-books test ./...`, as the README says), it builds (`e2rx build`, on a copy) to two
 * Runnable modules that are not committed, the README's Go code is the function's, and its ratings API answers as
 * the README says. (The curls against PostgreSQL, the ratings API and the cache: go-books.integration.spec.ts.)
 * The Go parts are skipped, with the reason, without Go 1.24+.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runGo } from '../../src/build/go-toolchain.js';
import { captureIo, cleanupApps } from '../support/apps.js';
import { describeWithGo, goToolchain } from '../support/go.js';
import { copyGoExample, startCommand } from './go-support.js';
import { ROOT, codeBlocks, examplePath, readExample, shellCommands } from './support.js';

afterAll(cleanupApps);

const README = await readExample('go-books', 'README.md');

describe('examples/go-books', () => {
  it('go-books README - Run it: the schema, the build, the ratings API, then the start with DATABASE_URL and RATINGS_URL', () => {
    const lines = shellCommands(README, 'Run it').map((command) => command.line);
    expect(lines.slice(0, 4)).toEqual([
      'psql postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx -f examples/go-books/schema.sql',
      'npx e2rx build examples/go-books',
      'node examples/go-books/ratings-server.mjs',
      'DATABASE_URL=postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx RATINGS_URL=http://127.0.0.1:8081 npx e2rx start examples/go-books',
    ]);
    // "Change it" repeats the Go tests and the build, which the specs below run.
    expect(shellCommands(README, 'Change it').map((command) => command.line)).toEqual(['go -C examples/go-books test ./...', 'npx e2rx build examples/go-books']);
  });

  it('go-books - no module is committed: the example ignores *.wasm, and has none in the repository', async () => {
    expect(await readExample('go-books', '.gitignore')).toMatch(/^\*\.wasm$/m);
    const { stdout } = await promisify(execFile)('git', ['ls-files', 'examples/go-books'], { cwd: ROOT });
    expect(stdout.split('\n').filter((file) => file.endsWith('.wasm'))).toEqual([]);
  });

  it('go-books README - the Go code shown is the code of get-book', async () => {
    const source = await readExample('go-books', 'get-book/main.go');
    const blocks = codeBlocks(README, 'go');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      for (const line of block.split('\n').filter((text) => text.trim() !== '' && text.trim() !== '// ...')) expect(source, line).toContain(line);
    }
  });

  it('go-books - the ratings API prints its address and answers a known book, and 404 for another', async () => {
    const command = shellCommands(README, 'Run it')[2]?.words ?? [];
    const ratings = await startCommand(command, { PORT: '0' }, /ratings API on (http:\/\/127\.0\.0\.1:\d+)/);
    try {
      const known = await fetch(`${ratings.found}/ratings/9780262510875`);
      expect(known.status).toBe(200);
      expect(await known.json()).toEqual({ average: 4.6, count: 1520 });
      expect((await fetch(`${ratings.found}/ratings/9780201633610`)).status).toBe(404);
    } finally {
      await ratings.stop();
    }
  });
});

describeWithGo('examples/go-books with Go', () => {
  it('go-books - its Go tests pass: go -C examples/go-books test ./... (as the README says)', async () => {
    const commands = shellCommands(README, 'How it works').map((command) => command.words);
    expect(commands).toEqual([['go', '-C', 'examples/go-books', 'test', './...']]);
    const go = goToolchain();
    const run = await runGo(go.command, commands[0]?.slice(1) ?? [], { cwd: ROOT, env: go.env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ok\s+go-books\/add-book\s/m);
    expect(run.stdout).toMatch(/^ok\s+go-books\/get-book\s/m);
  }, 120_000);

  it('go-books - e2rx build builds get-book and add-book (not the books library), then finds them unchanged; e2rx test passes', async () => {
    const app = await copyGoExample('go-books');
    const io = captureIo({ cwd: app, env: process.env });
    expect(await main(['build'], io), io.err()).toBe(0);
    expect(io.out()).toMatch(/^building 2 functions in \.\n {2}add-book {2}built {6}add-book\.wasm \([\d.]+ kB, \d+ ms\)\n {2}get-book {2}built {6}get-book\.wasm/);
    expect((await readdir(app)).filter((file) => file.endsWith('.wasm')).sort()).toEqual(['add-book.wasm', 'get-book.wasm']);
    const module = new WebAssembly.Module(await readFile(join(app, 'get-book.wasm')));
    expect(WebAssembly.Module.imports(module).filter((entry) => entry.module === 'env').map((entry) => entry.name).sort()).toEqual(
      expect.arrayContaining(['cache_get', 'cache_set', 'db_exec', 'fetch_url', 'get_secret_value', 'request_get_field', 'resp_set_header']),
    );
    const again = captureIo({ cwd: app, env: process.env });
    expect(await main(['build'], again)).toBe(0);
    expect(again.out()).toBe('building 2 functions in .\n  add-book  unchanged  add-book.wasm\n  get-book  unchanged  get-book.wasm\n');
    expect(examplePath('go-books')).not.toBe(app);
    // Its e2rx test cases pass on the modules just built (nothing to build again), database and ratings API stubbed.
    const tested = captureIo({ cwd: app, env: process.env });
    expect(await main(['test'], tested), tested.out() + tested.err()).toBe(0);
    expect(tested.err()).toBe('');
    expect(tested.out()).toMatch(/\n5 passed, 0 failed\n$/);
  }, 180_000);
});
