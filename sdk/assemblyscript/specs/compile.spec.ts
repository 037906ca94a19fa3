import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/build/diagnostics.js';
import { SDK, compileFixture } from './support/fixtures.js';

async function errors(name: string): Promise<string[]> {
  const outcome = await compileFixture(name);
  expect(outcome.ok).toBe(false);
  return outcome.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

describe('sdk compile', () => {
  it('compile - a type error is reported at file:line:col with the compiler message', async () => {
    expect(await errors('type-error')).toEqual([
      "type-error.ts:4:21 - error TS2322: Type 'i32' is not assignable to type '~lib/string/String'.",
    ]);
  });

  it('compile - a source without run says that it must export run', async () => {
    const [first, ...rest] = await errors('no-run');
    expect(first).toMatch(/^no-run\.ts:1:1 - error TS2305: no-run\.ts must export a function `run\(input: ArrayBuffer\)`/);
    expect(rest).toEqual([]);
  });

  it('compile - a run with an unsupported return type is reported at the source', async () => {
    expect(await errors('bad-return')).toEqual([
      expect.stringMatching(
        /^bad-return\.ts - error AS102: .*run must return an Output, a Result, a string, an ArrayBuffer or a Uint8Array.*\(raised in @e2rx\/sdk-assemblyscript\/assembly\/runnable\.ts:\d+:\d+\)$/,
      ),
    ]);
  });

  it('compile - an import that no Runnable host provides fails the build with a hint', async () => {
    expect(await errors('uses-date')).toEqual([
      'uses-date.ts - error E2RX: the module imports env.Date.now, which no Runnable host provides: Date.now() is not available in functions (the host ABI has no clock)',
    ]);
  });

  it('compile - records every input it read: the source and the SDK', async () => {
    const outcome = await compileFixture('echo');
    expect(outcome.inputs.some((path) => path.endsWith('fixtures/echo.ts'))).toBe(true);
    expect(outcome.inputs.some((path) => path.endsWith('assembly/runnable.ts'))).toBe(true);
    expect(outcome.inputs.some((path) => path.includes('__e2rx_entry__'))).toBe(false);
  });

  it('sdk - its sources type-check as TypeScript with the AssemblyScript definitions, for editors', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const run = promisify(execFile);
    const result = await run(process.execPath, [tsc, '--noEmit', '-p', join(SDK.dir, 'tsconfig.json')]).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    expect(result.stdout).toBe('');
  });
});
