import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { StaticFiles } from '../../src/app/static-files.js';
import { DEFAULT_CAPABILITIES } from '../../src/directive/capability-config.js';
import { createFileCapability, isUnsafeStaticFileName } from '../../src/capabilities/file.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };

/** Static files from a table, recording every name read. */
function tableFiles(files: Record<string, string>): StaticFiles & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read(name) {
      reads.push(name);
      const normalised = name.replace(/^static\//, '').replace(/^\//, '').replace(/^\.\//, '');
      const content = files[normalised];
      return Promise.resolve(content === undefined ? undefined : new TextEncoder().encode(content));
    },
  };
}

describe('file', () => {
  it('isUnsafeStaticFileName - accepts the names the original normalised', () => {
    for (const name of ['index.html', 'css/site.css', 'static/index.html', '/index.html', './index.html', 'a..b.txt', '..hidden']) {
      expect(isUnsafeStaticFileName(name), name).toBe(false);
    }
  });

  it('isUnsafeStaticFileName - refuses .. segments, absolute paths, drive and UNC paths, NUL bytes', () => {
    for (const name of [
      '../Directive.yaml',
      'css/../../secret',
      'static/../Directive.yaml',
      '..',
      '..\\Directive.yaml',
      'a\\..\\..\\b',
      '//etc/passwd',
      '/./../x',
      'C:\\Windows\\win.ini',
      'c:/x',
      '\\\\server\\share',
      'index.html\0.png',
    ]) {
      expect(isUnsafeStaticFileName(name), name).toBe(true);
    }
  });

  it('createFileCapability - returns the bytes of a file', async () => {
    const file = createFileCapability(DEFAULT_CAPABILITIES.file, tableFiles({ 'index.html': '<h1>hi</h1>' }), logger);
    const result = await file.getStaticFile('/index.html', context);
    expect(result.kind === 'data' && new TextDecoder().decode(result.data)).toBe('<h1>hi</h1>');
  });

  it('createFileCapability - a missing file is the error "file does not exist"', async () => {
    const file = createFileCapability(DEFAULT_CAPABILITIES.file, tableFiles({}), logger);
    expect(await file.getStaticFile('nope.txt', context)).toEqual({ kind: 'error', message: 'file does not exist' });
  });

  it('createFileCapability - path traversal is refused before any read', async () => {
    const files = tableFiles({ 'index.html': 'x' });
    const file = createFileCapability(DEFAULT_CAPABILITIES.file, files, logger);
    expect(await file.getStaticFile('../Directive.yaml', context)).toEqual({
      kind: 'error',
      message: 'invalid static file name: path traversal is not allowed',
    });
    expect(files.reads).toEqual([]);
  });

  it('createFileCapability - a disabled capability gives the original error', async () => {
    const file = createFileCapability({ enabled: false }, tableFiles({ 'index.html': 'x' }), logger);
    expect(await file.getStaticFile('index.html', context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
  });

  it('createFileCapability - a reader that throws gives an error result', async () => {
    const file = createFileCapability(DEFAULT_CAPABILITIES.file, { read: () => Promise.reject(new Error('EIO: i/o error')) }, logger);
    expect(await file.getStaticFile('index.html', context)).toEqual({ kind: 'error', message: 'EIO: i/o error' });
  });

  it('createFileCapability - a failure is logged with request_id, the one spelling of the request id in the logs', async () => {
    const lines: Record<string, unknown>[] = [];
    const capture = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const file = createFileCapability(DEFAULT_CAPABILITIES.file, { read: () => Promise.reject(new Error('EIO: i/o error')) }, capture);
    await file.getStaticFile('index.html', context);
    await file.getStaticFile('../Directive.yaml', context);
    expect(lines.map((line) => line['msg'])).toEqual(['static file read failed', 'static file name refused']);
    for (const line of lines) {
      expect(line).toMatchObject({ capability: 'file', fn: 'spec', request_id: 'r1' });
      expect(line).not.toHaveProperty('requestId');
    }
  });
});
