/**
 * Watching an app's files: which paths count, and the events of a save gathered into one change.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isAppFile, watchApp, watchFiles, type FileWatch } from '../../src/app/watch.js';
import { cleanupApps, makeAppDir, makeBundle, minimalDirective } from '../support/apps.js';

const watches: FileWatch[] = [];
afterEach(() => {
  for (const watch of watches.splice(0)) watch.close();
});
afterAll(cleanupApps);

/** Resolves with the next change a watch reports. */
function nextChange(start: (onChange: (paths: readonly string[]) => void) => FileWatch | Promise<FileWatch>): { watching: Promise<void>; changes: (readonly string[])[]; next: () => Promise<readonly string[]> } {
  const changes: (readonly string[])[] = [];
  let wake: (() => void) | undefined;
  const watching = Promise.resolve(
    start((paths) => {
      changes.push(paths);
      wake?.();
    }),
  ).then((watch) => void watches.push(watch));
  const next = (): Promise<readonly string[]> =>
    new Promise((resolve, reject) => {
      const seen = changes.length;
      const timer = setTimeout(() => reject(new Error('no change reported within 5 s')), 5_000);
      wake = () => {
        if (changes.length > seen) {
          clearTimeout(timer);
          resolve(changes[seen] ?? []);
        }
      };
    });
  return { watching, changes, next };
}

describe('watch', () => {
  it('isAppFile - the Directive, modules, their maps, the bundle and static files; not sources', () => {
    for (const path of ['Directive.yaml', 'directive.yml', 'hello.wasm', 'hello.wasm.map', 'hello/hello.wasm', 'runnables.wasm.zip', 'static/a.txt', 'static/css/site.css']) {
      expect(isAppFile(path), path).toBe(true);
    }
    for (const path of ['hello/index.ts', 'README.md', 'hello/other.wasm', 'node_modules/x/y.wasm', '.e2rx-build.json', 'a/b/c.wasm']) {
      expect(isAppFile(path), path).toBe(false);
    }
  });

  it('watchFiles - the writes of one save are reported once, with every path, after the debounce', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: {} });
    const { watching, changes, next } = nextChange((onChange) => watchFiles(dir, { debounceMs: 100, onChange }));
    await watching;
    const change = next();
    await writeFile(join(dir, 'Directive.yaml'), minimalDirective({ appVersion: 'v1.0.1' }));
    await writeFile(join(dir, 'Directive.yaml'), minimalDirective({ appVersion: 'v1.0.2' }));
    await mkdir(join(dir, 'static'));
    await writeFile(join(dir, 'static', 'a.txt'), 'a');
    expect(await change).toEqual(expect.arrayContaining(['Directive.yaml', 'static/a.txt']));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changes).toHaveLength(1);
  });

  it('watchFiles - node_modules and hidden directories are not watched; a directory created later is', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'node_modules/dep/index.js': 'x', '.git/HEAD': 'x' } });
    const { watching, changes, next } = nextChange((onChange) => watchFiles(dir, { debounceMs: 50, onChange }));
    await watching;
    await writeFile(join(dir, 'node_modules', 'dep', 'index.js'), 'y');
    await writeFile(join(dir, '.git', 'HEAD'), 'y');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(changes).toHaveLength(0);
    await mkdir(join(dir, 'added'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const change = next();
    await writeFile(join(dir, 'added', 'index.ts'), 'z');
    expect(await change).toContain('added/index.ts');
  });

  it('watchApp - an app directory: a source change is not reported, a module change is', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello/index.ts': 'x' } });
    const { watching, changes, next } = nextChange((onChange) => watchApp(dir, { debounceMs: 50, onChange }));
    await watching;
    const change = next();
    await writeFile(join(dir, 'hello', 'index.ts'), 'y');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(changes).toHaveLength(0);
    await writeFile(join(dir, 'hello.wasm'), 'z');
    expect(await change).toEqual(['hello.wasm']);
  });

  it('watchApp - a bundle: only the bundle counts', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective() });
    const { watching, next } = nextChange((onChange) => watchApp(bundle.path, { debounceMs: 50, onChange }));
    await watching;
    const change = next();
    await writeFile(join(bundle.dir, 'Directive.yaml'), 'beside the bundle, not in it');
    await writeFile(bundle.path, 'a new bundle');
    expect(await change).toEqual(['runnables.wasm.zip']);
  });

  it('watchApp - an app that does not exist is E2RX_APP_NOT_FOUND', async () => {
    await expect(watchApp('/nowhere/at/all', { onChange: () => undefined })).rejects.toMatchObject({ code: 'E2RX_APP_NOT_FOUND' });
  });
});
