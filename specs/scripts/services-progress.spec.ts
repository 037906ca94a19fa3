/**
 * scripts/services.sh says what it installs and fetches, how long it has been at it, and where its log is, instead
 * of one "installing with apt-get" line and minutes of silence. apt-get and mvn are stand-ins here
 * (E2RX_APT_GET, E2RX_MVN: fixtures/), progress comes every second (E2RX_PROGRESS_SECONDS), and the functions are
 * called from the sourced script, in a cache folder of their own.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupApps, makeTempDir } from '../support/apps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'specs/scripts/fixtures');
afterAll(cleanupApps);

/**
 * Sources scripts/services.sh and runs `body` in bash, with a cache folder of its own; resolves with the exit code,
 * stderr and that folder.
 */
async function sourced(body: string, env: Readonly<Record<string, string>> = {}): Promise<{ code: number; stderr: string; cache: string }> {
  const cache = await makeTempDir('e2rx-services-progress-');
  const script = `source scripts/services.sh\nmkdir -p "$LOG_DIR" "$KAFKA_DIR"\n${body}`;
  return await new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      {
        cwd: ROOT,
        env: { ...process.env, E2RX_CACHE_DIR: cache, E2RX_PROGRESS_SECONDS: '1', E2RX_APT_GET: join(FIXTURES, 'fake-apt-get.sh'), E2RX_MVN: join(FIXTURES, 'fake-mvn.sh'), ...env },
        timeout: 60_000,
      },
      (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stderr, cache }),
    );
  });
}

describe.concurrent('services.sh progress', () => {
  it('services progress - apt-get: what is installed, its steps with the time so far, where the log is, how long it took', async () => {
    const { code, stderr, cache } = await sourced('apt_install fake-server');
    expect(code, stderr).toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toBe(`services: installing with apt-get: fake-server (log: ${cache}/log/apt.log)`);
    expect(stderr).toMatch(/^services: apt-get update: \d+ s, Retrieving file [12] of 2 \(\d+%\)$/m);
    expect(stderr).toMatch(/^services: apt-get install fake-server: \d+ s, (Unpacking|Installing) fake-server \(amd64\) \(\d+%\)$/m);
    expect(lines.at(-1)).toMatch(/^services: installed with apt-get in \d+ s: fake-server$/);
    expect(await readFile(join(cache, 'log/apt.log'), 'utf8')).toContain('Unpacking fake-server');
  }, 30_000);

  it('services progress - a failed apt-get says so, with the end of its log', async () => {
    const { code, stderr, cache } = await sourced('apt_install fake-server', { FAKE_APT_FAIL: '1' });
    expect(code).not.toBe(0);
    expect(stderr).toContain(`services: apt-get install fake-server failed (exit 100); the end of ${cache}/log/apt.log:`);
    expect(stderr).toContain('E: Sub-process /usr/bin/dpkg returned an error code (1)');
    expect(stderr).not.toContain('installed with apt-get');
  }, 30_000);

  it('services progress - mvn: where the jars go, the files downloaded so far, where the log is', async () => {
    const { code, stderr, cache } = await sourced('ensure_kafka_libs && ls "$KAFKA_LIBS"');
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`(log: ${cache}/log/kafka-mvn.log)`);
    expect(stderr).toMatch(/^services: fetching Apache Kafka 3\.9\.2 and its runtime dependencies with mvn into .*\/kafka\/3\.9\.2\/libs \(log: /m);
    expect(stderr).toMatch(/^services: mvn \(Kafka jars\): \d+ s, [123] files downloaded, the last [\w.-]+\.jar$/m);
    expect(stderr).toMatch(/^services: fetched the Kafka jars in \d+ s$/m);
  }, 30_000);
});
