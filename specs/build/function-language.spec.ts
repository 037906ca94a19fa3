import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { functionLanguage } from '../../src/build/function-language.js';
import { cleanupApps, makeTempDir, writeFiles } from '../support/apps.js';
import { GO_HELLO_SOURCE, HELLO_SOURCE, goMod } from './support.js';

afterAll(cleanupApps);

async function languageOf(files: Readonly<Record<string, string>>) {
  const dir = await makeTempDir('e2rx-lang-');
  await writeFiles(dir, files);
  return functionLanguage(dir);
}

describe('functionLanguage', () => {
  it('functionLanguage - a Go main package is go, with or without its own go.mod', async () => {
    expect(await languageOf({ 'go.mod': goMod('example.com/x'), 'main.go': GO_HELLO_SOURCE })).toBe('go');
    expect(await languageOf({ 'main.go': GO_HELLO_SOURCE })).toBe('go');
    expect(await languageOf({ 'main.go': `// Package comment.\n//go:build wasip1\n\n${GO_HELLO_SOURCE}` })).toBe('go');
  });

  it('functionLanguage - an index.ts is assemblyscript; with a main package too, its go.mod decides', async () => {
    expect(await languageOf({ 'index.ts': HELLO_SOURCE })).toBe('assemblyscript');
    expect(await languageOf({ 'index.ts': HELLO_SOURCE, 'tool.go': GO_HELLO_SOURCE })).toBe('assemblyscript');
    expect(await languageOf({ 'index.ts': HELLO_SOURCE, 'main.go': GO_HELLO_SOURCE, 'go.mod': goMod('example.com/x') })).toBe('go');
  });

  it('functionLanguage - a library package, Go tests alone, or nothing is not a function', async () => {
    expect(await languageOf({ 'go.mod': 'module example.com/lib\n', 'lib.go': 'package lib\n' })).toBeUndefined();
    expect(await languageOf({ 'main_test.go': 'package main\n' })).toBeUndefined();
    expect(await languageOf({ 'README.md': '# nothing' })).toBeUndefined();
    expect(await functionLanguage(join(await makeTempDir(), 'missing'))).toBeUndefined();
  });

  it('functionLanguage - .runnable.yaml decides: another language leaves it out, go or assemblyscript picks one', async () => {
    expect(await languageOf({ 'main.go': GO_HELLO_SOURCE, '.runnable.yaml': 'lang: tinygo\n' })).toBeUndefined();
    expect(await languageOf({ 'index.ts': HELLO_SOURCE, '.runnable.yaml': 'lang: rust\n' })).toBeUndefined();
    expect(await languageOf({ 'index.ts': HELLO_SOURCE, 'main.go': GO_HELLO_SOURCE, '.runnable.yaml': 'lang: go\n' })).toBe('go');
    expect(await languageOf({ 'index.ts': HELLO_SOURCE, 'main.go': GO_HELLO_SOURCE, 'go.mod': goMod('x'), '.runnable.yaml': 'lang: assemblyscript\n' })).toBe('assemblyscript');
    expect(await languageOf({ 'index.ts': HELLO_SOURCE, '.runnable.yaml': 'lang: go\n' })).toBeUndefined();
    expect(await languageOf({ 'index.ts': HELLO_SOURCE, '.runnable.yaml': ': not yaml [' })).toBe('assemblyscript');
  });
});
