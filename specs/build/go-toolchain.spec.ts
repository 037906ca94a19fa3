import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIN_GO_VERSION, findGoToolchain, isSupportedGoVersion, parseGoVersion, runGo } from '../../src/build/go-toolchain.js';
import { E2rxError } from '../../src/errors.js';
import { cleanupApps, makeTempDir } from '../support/apps.js';
import { describeWithGo, goToolchain } from '../support/go.js';

afterAll(cleanupApps);

/** A `go` command that prints `stdout` and exits with `code` (a stand-in for a Go that cannot be installed here). */
async function fakeGo(stdout: string, code = 0, stderr = ''): Promise<string> {
  const path = join(await makeTempDir('e2rx-fake-go-'), 'go');
  await writeFile(path, `#!/bin/sh\nprintf '%s' '${stdout}'\nprintf '%s' '${stderr}' >&2\nexit ${code}\n`);
  await chmod(path, 0o755);
  return path;
}

async function refusal(env: Readonly<Record<string, string | undefined>>, why?: string): Promise<E2rxError> {
  const error: unknown = await findGoToolchain({ cwd: await makeTempDir(), env, ...(why === undefined ? {} : { why }) }).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!E2rxError.is(error, 'E2RX_TOOLCHAIN_MISSING')) throw new Error(`expected E2RX_TOOLCHAIN_MISSING, got ${String(error)}`);
  return error;
}

describe('Go versions', () => {
  it('parseGoVersion - reads major and minor of releases, release candidates and development builds', () => {
    expect(parseGoVersion('go1.26.8')).toEqual([1, 26]);
    expect(parseGoVersion('go1.24')).toEqual([1, 24]);
    expect(parseGoVersion('go1.24rc1')).toEqual([1, 24]);
    expect(parseGoVersion('devel go1.27-1b2c3d4 Fri Jan 2 15:04:05 2026 +0000')).toEqual([1, 27]);
    expect(parseGoVersion('')).toBeUndefined();
    expect(parseGoVersion('gccgo')).toBeUndefined();
  });

  it('isSupportedGoVersion - 1.24 and later', () => {
    expect(MIN_GO_VERSION).toEqual([1, 24]);
    for (const version of ['go1.24.0', 'go1.24rc2', 'go1.25.1', 'go1.26.8', 'go2.0']) expect(isSupportedGoVersion(version), version).toBe(true);
    for (const version of ['go1.23.4', 'go1.9', 'go1.2', 'unknown']) expect(isSupportedGoVersion(version), version).toBe(false);
  });
});

describe('findGoToolchain refusals', () => {
  it('findGoToolchain - no go on PATH: E2RX_TOOLCHAIN_MISSING says so and how to fix it', async () => {
    const error = await refusal({ PATH: await makeTempDir() }, 'hello is a Go function');
    expect(error.message).toBe('hello is a Go function; Go 1.24 or later is needed, and no go command was found on PATH');
    expect(error.hint).toMatch(/install Go 1\.24 or later \(https:\/\/go\.dev\/dl\/\).*E2RX_GO/);
  });

  it('findGoToolchain - E2RX_GO naming a missing command', async () => {
    const error = await refusal({ E2RX_GO: '/nowhere/go' });
    expect(error.message).toBe('Go 1.24 or later is needed, and E2RX_GO=/nowhere/go does not exist');
  });

  it('findGoToolchain - a Go older than 1.24 is refused with its version', async () => {
    const old = await fakeGo('go1.23.4\n');
    const error = await refusal({ E2RX_GO: old }, 'hello is a Go function');
    expect(error.message).toBe(`hello is a Go function; Go 1.24 or later is needed, and ${old} is go1.23.4`);
    expect(error.details).toMatchObject({ version: 'go1.23.4' });
  });

  it('findGoToolchain - a go command that fails is refused with the first line of its error', async () => {
    const broken = await fakeGo('', 2, 'go: cannot find GOROOT directory: /nope\nmore\n');
    const error = await refusal({ E2RX_GO: broken });
    expect(error.message).toBe(`\`${broken} env GOVERSION\` failed: go: cannot find GOROOT directory: /nope`);
  });
});

describeWithGo('findGoToolchain with the installed Go', () => {
  it('findGoToolchain - finds go on PATH and its version, as go version prints it', async () => {
    const go = goToolchain();
    const version = await runGo(go.command, ['version'], { cwd: process.cwd(), env: process.env });
    expect(version.stdout).toContain(`${go.version} `);
    expect(isSupportedGoVersion(go.version)).toBe(true);
  });

  it('findGoToolchain - E2RX_GO selects the command', async () => {
    const path = (await runGo(goToolchain().command, ['env', 'GOROOT'], { cwd: process.cwd(), env: process.env })).stdout.trim();
    const go = await findGoToolchain({ cwd: process.cwd(), env: { ...process.env, E2RX_GO: join(path, 'bin', 'go') } });
    expect(go.command).toBe(join(path, 'bin', 'go'));
    expect(go.version).toBe(goToolchain().version);
  });
});
