/**
 * scripts/test.sh (npm test) says what it does, step by step, how long each step took, and where the services'
 * logs are; the whole suite runs once, with coverage. `npm` and `npx` are stand-ins here that print what they were
 * asked (the real ones would build and run this very suite); scripts/services.sh runs for real, and finds the
 * services up.
 */
import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupApps, makeTempDir } from '../support/apps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

afterAll(cleanupApps);

/** Runs scripts/test.sh with `args`, `npm` and `npx` being stand-ins that print their arguments. */
async function runTestScript(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = await makeTempDir('e2rx-test-sh-');
  for (const name of ['npm', 'npx']) {
    await writeFile(join(bin, name), `#!/usr/bin/env bash\necho "${name} $*"\n`);
    await chmod(join(bin, name), 0o755);
  }
  return new Promise((resolve) => {
    execFile('bash', ['scripts/test.sh', ...args], { cwd: ROOT, env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` }, timeout: 120_000 }, (error, out, err) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout: out, stderr: err }),
    );
  });
}

describe('npm test (scripts/test.sh)', () => {
  it('test.sh - each step says what it is and how long it took; the services step says where the logs are', async () => {
    const { code, stdout, stderr } = await runTestScript(['specs/errors.spec.ts']);
    expect(code, stderr).toBe(0);
    const steps = stderr.split('\n').filter((line) => line.startsWith('npm test: '));
    const logs = `${process.env['E2RX_CACHE_DIR'] ?? `${process.env['HOME'] ?? ''}/.cache/e2rx`}/log`;
    expect(steps[0]).toBe(`npm test: local services (scripts/services.sh up; logs in ${logs})`);
    expect(steps[1]).toMatch(/^npm test: local services \(.*\): done in \d+ s$/);
    for (const step of ['build (tsc -p tsconfig.build.json)', 'type-check (tsc --noEmit)', 'lint (eslint)', 'specs (vitest run)']) {
      expect(steps, step).toContain(`npm test: ${step}`);
      expect(steps.some((line) => line.startsWith(`npm test: ${step}: done in `))).toBe(true);
    }
    expect(steps.at(-1)).toMatch(/^npm test: passed in \d+ s$/);
    expect(stdout).toContain('npx vitest run specs/errors.spec.ts');
    expect(stdout).not.toContain('--coverage');
  }, 120_000);

  it('test.sh - the whole suite measures coverage in its one vitest run', async () => {
    const { code, stdout, stderr } = await runTestScript([]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('npm test: specs with coverage (vitest run --coverage; summary in coverage/coverage-summary.json)');
    expect(stdout.split('\n').filter((line) => line.startsWith('npx vitest'))).toEqual(['npx vitest run --coverage']);
  }, 120_000);
});
