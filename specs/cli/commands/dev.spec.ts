/**
 * `e2rx dev`: builds, serves the app directory, prints the URL of each handler, and on a save rebuilds only the
 * function that changed and reloads; a compile error is printed with file:line:col while the previous build keeps
 * serving; a bundle beside the app is never what runs.
 */
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo, cleanupApps, makeBundle, minimalDirective, runnableWasm, type CapturedIo } from '../../support/apps.js';
import { httpRequest, waitFor } from '../../engine/support/engine.js';
import { BROKEN_SOURCE, HELLO_SOURCE, makeFunctionApp } from '../../build/support.js';

const running: { controller: AbortController; exit: Promise<number> }[] = [];

afterEach(async () => {
  for (const run of running.splice(0)) {
    run.controller.abort();
    await run.exit;
  }
});
afterAll(cleanupApps);

/** `e2rx dev` in this process with JSON logs on 127.0.0.1 and a free port. */
function dev(dir: string): { io: CapturedIo; exit: Promise<number> } {
  const controller = new AbortController();
  const io = captureIo({ cwd: dir, env: {}, signal: controller.signal });
  const exit = main(['dev', '--log-format', 'json', '--port', '0', '--host', '127.0.0.1'], io);
  running.push({ controller, exit });
  return { io, exit };
}

/** The port of the URL dev printed. */
async function devPort(io: CapturedIo, exit: Promise<number>): Promise<number> {
  let exited: number | undefined;
  void exit.then((code) => (exited = code));
  await waitFor(() => exited !== undefined || /e2rx dev: serving/.test(io.out()), 120_000, 'dev to serve');
  if (exited !== undefined) throw new Error(`e2rx dev exited with ${exited}:\n${io.out()}\n${io.err()}`);
  return Number(/at http:\/\/127\.0\.0\.1:(\d+)/.exec(io.out())?.[1]);
}

const other = HELLO_SOURCE.replace('"hello "', '"other "');

describe('e2rx dev', () => {
  it('dev - builds, prints the URL of each handler, rebuilds only the function saved and serves it at once', async () => {
    const dir = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE, 'other/index.ts': other }, ['hello', 'other']);
    const { io, exit } = dev(dir);
    const port = await devPort(io, exit);
    expect(io.out()).toMatch(/ {2}hello +built +hello\.wasm/);
    expect(io.out()).toContain(`  POST   http://127.0.0.1:${port}/hello\n`);
    expect(io.out()).toContain(`  POST   http://127.0.0.1:${port}/other\n`);
    expect((await httpRequest(port, { method: 'POST', path: '/hello', body: 'you' })).body).toBe('hello you');

    const before = io.out().length;
    await writeFile(join(dir, 'hello', 'index.ts'), HELLO_SOURCE.replace('"hello "', '"hi "'));
    await waitFor(async () => (await httpRequest(port, { method: 'POST', path: '/hello', body: 'you' })).body === 'hi you', 60_000, 'the edit to serve');
    const after = io.out().slice(before);
    expect(after).toMatch(/ {2}hello +built +hello\.wasm/);
    // Only the function saved was built again.
    expect(after).not.toMatch(/other +(built|unchanged)/);
    expect(after).toMatch(/"msg":"reloaded/);
    expect((await httpRequest(port, { method: 'POST', path: '/other', body: 'x' })).body).toBe('other x');
  }, 180_000);

  it('dev - a compile error is printed with file:line:col and the previous build keeps serving', async () => {
    const dir = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    const { io, exit } = dev(dir);
    const port = await devPort(io, exit);
    await writeFile(join(dir, 'hello', 'index.ts'), BROKEN_SOURCE);
    await waitFor(() => /build failed: the previous build keeps serving/.test(io.out()), 60_000, 'the build error');
    expect(io.err()).toMatch(/hello: hello\/index\.ts:4:21 - error/);
    expect((await httpRequest(port, { method: 'POST', path: '/hello', body: 'still' })).body).toBe('hello still');
  }, 180_000);

  it('dev - serves the modules it built, not a bundle beside the app, even a newer one', async () => {
    // The bundle's hello is the WAT Runnable, which echoes: serving it would answer "you", not "hello you".
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': await runnableWasm() });
    await writeFile(join(bundle.dir, 'Directive.yaml'), minimalDirective());
    await mkdir(join(bundle.dir, 'hello'));
    await writeFile(join(bundle.dir, 'hello', 'index.ts'), HELLO_SOURCE);
    const later = new Date(Date.now() + 3_600_000);
    await utimes(bundle.path, later, later);
    const { io, exit } = dev(bundle.dir);
    const port = await devPort(io, exit);
    expect(io.out()).toMatch(/not runnables\.wasm\.zip beside it/);
    expect((await httpRequest(port, { method: 'POST', path: '/hello', body: 'you' })).body).toBe('hello you');
  }, 180_000);
});
