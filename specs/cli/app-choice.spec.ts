/**
 * An old runnables.wasm.zip never silently wins over a fresh `e2rx build`: edit, build, start serves the new code
 * (what the app's test runs), with a warning naming both; `build` without `--bundle` warns about the stale bundle.
 */
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseApp, staleBundle } from '../../src/cli/app-choice.js';
import { main } from '../../src/cli/main.js';
import { captureIo, cleanupApps, makeAppDir, minimalDirective, runnableWasm, zipBytes } from '../support/apps.js';

let wasm: Uint8Array;

beforeAll(async () => {
  wasm = await runnableWasm();
});

afterAll(cleanupApps);

const OLD = new Date('2024-01-01T00:00:00Z');
const NEW = new Date('2024-06-01T00:00:00Z');

/** An app directory with a Directive, hello.wasm and a bundle, with the bundle's and the module's times as given. */
async function appWithBundle(times: { readonly bundle: Date; readonly module: Date; readonly directive?: Date }): Promise<string> {
  const bundle = zipBytes({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm });
  const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm, 'runnables.wasm.zip': bundle } });
  await utimes(join(dir, 'Directive.yaml'), times.directive ?? OLD, times.directive ?? OLD);
  await utimes(join(dir, 'hello.wasm'), times.module, times.module);
  await utimes(join(dir, 'runnables.wasm.zip'), times.bundle, times.bundle);
  return dir;
}

describe('chooseApp', () => {
  it('app choice - a bundle newer than the app directory is the default, as in Atmo', async () => {
    const dir = await appWithBundle({ bundle: NEW, module: OLD });
    expect(await chooseApp(dir, undefined)).toEqual({ app: undefined });
    expect(await staleBundle(dir)).toBeUndefined();
  });

  it('app choice - a module newer than the bundle makes the directory win, with a notice naming both', async () => {
    const dir = await appWithBundle({ bundle: OLD, module: NEW });
    const choice = await chooseApp(dir, undefined);
    expect(choice.app).toBe('.');
    expect(choice.notice).toMatch(/^runnables\.wasm\.zip is older than hello\.wasm: serving the app directory/);
    expect(await staleBundle(dir)).toEqual({ bundle: 'runnables.wasm.zip', newer: 'hello.wasm' });
  });

  it('app choice - a newer Directive or static file counts too', async () => {
    const dir = await appWithBundle({ bundle: NEW, module: OLD, directive: new Date('2024-07-01T00:00:00Z') });
    expect(await staleBundle(dir)).toEqual({ bundle: 'runnables.wasm.zip', newer: 'Directive.yaml' });
    const other = await appWithBundle({ bundle: NEW, module: OLD });
    const file = join(other, 'static', 'page.html');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(other, 'static'));
    await writeFile(file, 'new page');
    expect(await staleBundle(other)).toEqual({ bundle: 'runnables.wasm.zip', newer: 'static/page.html' });
  });

  it('app choice - a bundle alone, or a directory alone, is no question', async () => {
    const bundleOnly = await makeAppDir({ files: { 'runnables.wasm.zip': zipBytes({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm }) } });
    expect(await chooseApp(bundleOnly, undefined)).toEqual({ app: undefined });
    const dirOnly = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    expect(await chooseApp(dirOnly, undefined)).toEqual({ app: undefined });
  });

  it('app choice - a path given is taken as it is, once it exists', async () => {
    const dir = await appWithBundle({ bundle: OLD, module: NEW });
    expect(await chooseApp(dir, 'runnables.wasm.zip')).toEqual({ app: 'runnables.wasm.zip' });
    await expect(chooseApp(dir, 'nowhere')).rejects.toMatchObject({ code: 'E2RX_APP_NOT_FOUND', message: 'nowhere does not exist' });
  });
});

describe('the CLI and a stale bundle', () => {
  it('app choice - e2rx validate checks the newer app directory and says so on stderr', async () => {
    const dir = await appWithBundle({ bundle: OLD, module: NEW });
    await writeFile(join(dir, 'runnables.wasm.zip'), 'not a zip: if validate read it, it would fail');
    await utimes(join(dir, 'runnables.wasm.zip'), OLD, OLD);
    const io = captureIo({ cwd: dir });
    expect(await main(['validate'], io)).toBe(0);
    expect(io.out()).toBe('valid\n');
    expect(io.err()).toMatch(/^warning: runnables\.wasm\.zip is older than hello\.wasm: serving the app directory/);
  });

  it('app choice - e2rx start serves the newer app directory and logs a warning naming both', async () => {
    const dir = await appWithBundle({ bundle: OLD, module: NEW });
    await writeFile(join(dir, 'runnables.wasm.zip'), 'not a zip: if start read it, it would fail');
    await utimes(join(dir, 'runnables.wasm.zip'), OLD, OLD);
    const controller = new AbortController();
    const io = captureIo({ cwd: dir, signal: controller.signal });
    const exit = main(['start', '--port', '0', '--host', '127.0.0.1', '--log-format', 'json'], io);
    await expect.poll(() => io.out() + io.err(), { timeout: 10_000 }).toMatch(/"msg":"loaded \."|e2rx:/);
    controller.abort();
    expect(await exit, io.err()).toBe(0);
    const lines = io.out().trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/^runnables\.wasm\.zip is older than hello\.wasm/) as string });
  });
});
