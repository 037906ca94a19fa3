import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_STATIC_FILES, normalizeStaticName, staticFilesFromDirectory, staticFilesFromEntries } from '../../src/app/index.js';
import { cleanupApps, makeAppDir } from '../support/apps.js';

afterAll(cleanupApps);

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

describe('normalizeStaticName', () => {
  it.each([
    ['a.txt', 'a.txt'],
    ['static/a.txt', 'a.txt'],
    ['/a.txt', 'a.txt'],
    ['./a.txt', 'a.txt'],
    ['static/./a.txt', 'a.txt'],
    ['static//a.txt', 'a.txt'],
    ['/./a.txt', 'a.txt'],
    ['css/site.css', 'css/site.css'],
    // The original strips `static/` only first: `/static/a.txt` names static/static/a.txt.
    ['/static/a.txt', 'static/a.txt'],
    // Atmo read static/a.txt for this one (deviation 35): e2rx reads the file the name says.
    ['static/static/a.txt', 'static/a.txt'],
    // An absolute path is read inside static/ after the leading slash is stripped, never from the file system root.
    ['/etc/passwd', 'etc/passwd'],
  ])('normalizeStaticName - %j becomes %j', (name, expected) => {
    expect(normalizeStaticName(name)).toBe(expected);
  });

  it.each([
    ['../x'],
    ['static/../x'],
    ['a/../../x'],
    ['a/../b'],
    ['./../x'],
    ['a/..'],
    ['..'],
    ['a\0b'],
    ['a.txt\0.png'],
    ['a\\..\\..\\x'],
    ['a//b'],
    [''],
    ['static/'],
    ['/'],
    ['./'],
    // Atmo strips one `/` and one `./`, then looks the rest up as it is: these name no file there (issue 15, item 10).
    ['//a.txt'],
    ['././a.txt'],
    ['css/./site.css'],
    ['static/././a.txt'],
    ['css/.'],
  ])('normalizeStaticName - refuses %j', (name) => {
    expect(normalizeStaticName(name)).toBeUndefined();
  });
});

describe('staticFilesFromDirectory', () => {
  it('staticFilesFromDirectory - reads static/<name> with every accepted prefix', async () => {
    const dir = await makeAppDir({ files: { 'static/a.txt': 'A', 'static/css/site.css': 'CSS' } });
    const files = staticFilesFromDirectory(dir);
    for (const name of ['a.txt', 'static/a.txt', '/a.txt', './a.txt']) expect(text(await files.read(name))).toBe('A');
    expect(text(await files.read('css/site.css'))).toBe('CSS');
  });

  it('staticFilesFromDirectory - answers undefined for a missing file or a folder', async () => {
    const dir = await makeAppDir({ files: { 'static/css/site.css': 'CSS' } });
    const files = staticFilesFromDirectory(dir);
    expect(await files.read('missing.txt')).toBeUndefined();
    expect(await files.read('css')).toBeUndefined();
  });

  it('staticFilesFromDirectory - answers undefined when the app has no static folder', async () => {
    const dir = await makeAppDir({ files: { 'hello.txt': 'x' } });
    expect(await staticFilesFromDirectory(dir).read('hello.txt')).toBeUndefined();
  });

  it('staticFilesFromDirectory - refuses names that leave static/', async () => {
    const dir = await makeAppDir({ directive: 'secret', files: { 'static/a.txt': 'A', 'secret.txt': 'SECRET' } });
    const files = staticFilesFromDirectory(dir);
    for (const name of ['../secret.txt', 'static/../secret.txt', 'a/../../secret.txt', '../Directive.yaml', `..${'/'}..${'/'}etc/passwd`, 'a.txt\0']) {
      expect(await files.read(name), name).toBeUndefined();
    }
    expect(await files.read(join(dir, 'secret.txt'))).toBeUndefined();
  });

  it('staticFilesFromDirectory - reads /etc/passwd from static/etc/passwd, never from the root', async () => {
    const sandboxed = await makeAppDir({ files: { 'static/etc/passwd': 'not the real one' } });
    expect(text(await staticFilesFromDirectory(sandboxed).read('/etc/passwd'))).toBe('not the real one');
    const empty = await makeAppDir({ files: { 'static/a.txt': 'A' } });
    expect(await staticFilesFromDirectory(empty).read('/etc/passwd')).toBeUndefined();
  });

  it('staticFilesFromDirectory - refuses a symbolic link that points outside static/', async () => {
    const dir = await makeAppDir({ files: { 'static/a.txt': 'A', 'secret.txt': 'SECRET' } });
    await symlink(join(dir, 'secret.txt'), join(dir, 'static', 'escape.txt'));
    await symlink(join(dir, 'static', 'a.txt'), join(dir, 'static', 'inside.txt'));
    const files = staticFilesFromDirectory(dir);
    expect(await files.read('escape.txt')).toBeUndefined();
    expect(text(await files.read('inside.txt'))).toBe('A');
  });
});

describe('staticFilesFromEntries', () => {
  const encoder = new TextEncoder();
  const entries = new Map([
    ['static/a.txt', encoder.encode('A')],
    ['static/css/site.css', encoder.encode('CSS')],
    ['static/etc/passwd', encoder.encode('bundled')],
  ]);

  it('staticFilesFromEntries - reads static/ entries with every accepted prefix', async () => {
    const files = staticFilesFromEntries(entries);
    for (const name of ['a.txt', 'static/a.txt', '/a.txt', './a.txt']) expect(text(await files.read(name))).toBe('A');
    expect(text(await files.read('css/site.css'))).toBe('CSS');
    expect(text(await files.read('/etc/passwd'))).toBe('bundled');
    expect(await files.read('missing')).toBeUndefined();
  });

  it('staticFilesFromEntries - refuses traversal', async () => {
    const files = staticFilesFromEntries(new Map([...entries, ['Directive.yaml', encoder.encode('x')]]));
    for (const name of ['../Directive.yaml', 'static/../Directive.yaml', 'css/../../Directive.yaml', 'a.txt\0']) {
      expect(await files.read(name), name).toBeUndefined();
    }
  });
});

describe('NO_STATIC_FILES', () => {
  it('NO_STATIC_FILES - has no file', async () => {
    expect(await NO_STATIC_FILES.read('a.txt')).toBeUndefined();
  });
});
