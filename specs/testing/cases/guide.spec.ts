/**
 * docs/guides/testing.md, section "Directive-level tests: e2rx test": its case files are the examples' (or run and
 * pass against them), and the output it shows is what `e2rx test examples/hello` prints. (The doc tests run its
 * `sh` block as well.)
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/app/load-app.js';
import { testCommand } from '../../../src/cli/commands/test.js';
import { parseCaseFile } from '../../../src/testing/cases/case-file.js';
import { runCaseFile } from '../../../src/testing/cases/run-cases.js';
import { captureIo, cleanupApps, makeTempDir } from '../../support/apps.js';
import { codeBlocks } from '../../examples/support.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GUIDE = await readFile(join(ROOT, 'docs/guides/testing.md'), 'utf8');
const SECTION = 'Directive-level tests: e2rx test';

afterAll(cleanupApps);

/** A copy of the whole examples/ tree (an example may import another's sources); the path of `name` in it. */
async function copyOfExample(name: string): Promise<string> {
  const copy = join(await makeTempDir('e2rx-guide-'), 'examples');
  await cp(join(ROOT, 'examples'), copy, { recursive: true, filter: (source) => !source.includes('node_modules') });
  return join(copy, name);
}

describe('docs/guides/testing.md: e2rx test', () => {
  const yaml = codeBlocks(GUIDE, 'yaml', SECTION);

  it('guide - each case file shown is valid', () => {
    expect(yaml.length).toBe(3);
    for (const block of yaml) {
      const outcome = parseCaseFile(block, 'guide');
      expect(outcome.ok, block).toBe(true);
    }
  });

  it('guide - the case file shown is examples/hello/Directive.test.yaml', async () => {
    expect(yaml[0]).toBe(await readFile(join(ROOT, 'examples/hello/Directive.test.yaml'), 'utf8'));
  });

  it('guide - the users and nats-enrich samples pass against their examples', async () => {
    for (const [name, block] of [['users', yaml[1]], ['nats-enrich', yaml[2]]] as const) {
      const app = await copyOfExample(name);
      await writeFile(join(app, 'Directive.test.yaml'), block ?? '');
      const report = await runCaseFile(await loadApp(app), { cwd: app, appDir: app, env: {} });
      expect(report.failed, JSON.stringify(report.results)).toBe(0);
      expect(report.passed).toBeGreaterThan(0);
    }
  });

  it('guide - e2rx test examples/hello prints what the guide shows, exit 0', async () => {
    const app = await copyOfExample('hello');
    const io = captureIo({ cwd: join(app, '..', '..'), env: {} });
    expect(await testCommand.run({ values: {}, positionals: ['examples/hello'] }, io)).toBe(0);
    expect(io.out()).toBe(codeBlocks(GUIDE, 'text', SECTION)[0]);
  }, 60_000);
});
