/**
 * Modules older than their sources: what `e2rx start` warns about.
 */
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staleModules } from '../../src/build/stale-modules.js';
import { cleanupApps } from '../support/apps.js';
import { HELLO_SOURCE, makeFunctionApp } from './support.js';

afterAll(cleanupApps);

const past = new Date(Date.now() - 3_600_000);

describe('staleModules', () => {
  it('staleModules - a module newer than every source is current; a source edited since makes it stale', async () => {
    const dir = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE, 'hello/util.ts': 'export const x = 1;\n', 'hello.wasm': 'built' });
    await utimes(join(dir, 'hello', 'index.ts'), past, past);
    await utimes(join(dir, 'hello', 'util.ts'), past, past);
    expect(await staleModules(dir)).toEqual([]);
    await writeFile(join(dir, 'hello', 'util.ts'), 'export const x = 2;\n');
    await utimes(join(dir, 'hello.wasm'), past, past);
    expect(await staleModules(dir)).toEqual([{ name: 'hello', module: 'hello.wasm', newer: 'hello/util.ts' }]);
  });

  it('staleModules - a function never built is stale; node_modules and hidden files under it do not count', async () => {
    const dir = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE, 'other/index.ts': HELLO_SOURCE, 'other.wasm': 'built', 'other/node_modules/x.ts': '', 'other/.swp': '' }, ['hello', 'other']);
    await utimes(join(dir, 'other', 'index.ts'), past, past);
    expect(await staleModules(dir)).toEqual([{ name: 'hello', module: 'hello.wasm', newer: undefined }]);
  });

  it('staleModules - an app without function sources has nothing stale', async () => {
    const dir = await makeFunctionApp({ 'hello.wasm': 'built' });
    expect(await staleModules(dir)).toEqual([]);
    expect(await staleModules(join(dir, 'nowhere'))).toEqual([]);
  });
});
