/**
 * e2rx as a user installs it: a project outside the checkout that runs the guides' install commands (its own rxjs,
 * TypeScript and vitest from the npm registry; see support/outside-project.ts), then
 *
 * - type-checks every TypeScript sample of README.md and docs/** (but AssemblyScript) with the guides'
 *   `tsconfig.json` (strict), and runs each one (`compile-only` ones excepted) with the project's vitest;
 * - shows that the marble kit keeps virtual time there: a group timeout fires at frame 1000, a schedule ticks, and a
 *   deliberately wrong expectation FAILS (it passed when e2rx brought its own copy of rxjs);
 * - installed as a plain link to the checkout instead (two copies of rxjs), `e2rx/testing` stops the test with
 *   E2RX_TEST_RXJS_DUPLICATE.
 *
 * The project is cached between runs: a run that reuses it takes about ten seconds, most of it tsc and vitest.
 * Needs `npm run build` first (npm test does it): the project installs this checkout's dist/.
 */
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocBlock, documents, importedPackages, isProjectSample, readDocBlocks, replayedBy, ROOT, where } from '../docs/support/markdown.js';
import { openOutsideProject, type ExecResult, type OutsideProject } from './support/outside-project.js';

/** Every document's blocks, but those of a walk-through that a spec of its own replays. */
const ALL = documents()
  .filter((doc) => replayedBy(readFileSync(join(ROOT, doc), 'utf8')) === undefined)
  .flatMap(readDocBlocks);
/** The guides' install commands, in document order, one per line (comments kept: bash ignores them). */
const INSTALL = ALL.filter((block) => block.annotation?.kind === 'install');
/** The files of the guides that install e2rx in a project (the tsconfig.json); other guides' files are for their sandbox. */
const FILES = ALL.filter((block) => block.doc.startsWith('docs/guides/') && block.annotation?.kind === 'file' && INSTALL.some((install) => install.doc === block.doc));
/** The TypeScript samples that run in the project. */
const SAMPLES = ALL.filter(isProjectSample);

/** The name of a sample's files in the project: `docs-guides-testing-L45`. */
const slug = (block: DocBlock): string => `${block.doc.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-L${block.line}`;
const isTestFile = (block: DocBlock): boolean => /from\s+'vitest'/.test(block.code);
/**
 * The spec file that runs a sample: its own when it is a test file, else one per document, with one test per sample
 * (each imports its sample). One file per document loads e2rx once for all its samples: a file per sample cost about
 * a second each on the 2-core machine, past three minutes for the whole run.
 */
const runnerFile = (block: DocBlock): string =>
  isTestFile(block) ? `samples/${slug(block)}.spec.ts` : `samples/${block.doc.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-')}.spec.ts`;

/** What the item-1 checks run: correct expectations, and one deliberately wrong. */
const TIMERS_SPEC = `import { map, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';
import { fromSchedule } from 'e2rx';
import { compileForTest, marbleRunner, summarize, testRequest } from 'e2rx/testing';

const directive = \`
identifier: com.example.slow
appVersion: v1.0.0
atmoVersion: v0.4.7
limits:
  groupTimeoutMs: 1000
handlers:
  - type: request
    resource: /slow
    method: GET
    steps:
      - group:
          - fn: fast
          - fn: slow
    response: fast
\`;
const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

it('group timeout - fires at frame 1000 in virtual time', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const runner = marbleRunner(cold, { fast: { marbles: 'f|', values: { f: 'F' } }, slow: { marbles: '2s s|', values: { s: 'S' } } });
    expectObservable(compileForTest(directive, { runner }).run('GET /slow', testRequest()).pipe(summarize())).toBe('1s (r|)', { r: 'failure fn group timed out' });
  });
});

it('schedule - fromSchedule ticks at 0, 1000 and 2000 in virtual time', () => {
  scheduler().run(({ expectObservable }) => {
    const ticks = fromSchedule({ name: 'tick', everyMs: 1000, state: {}, steps: [] }).pipe(map((request) => request.url), take(3));
    expectObservable(ticks).toBe('a 999ms b 999ms (c|)', { a: 'tick', b: 'tick', c: 'tick' });
  });
});

it('WRONG ON PURPOSE - a 2 s member under groupTimeoutMs 1000 answering ok at 2 s', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const runner = marbleRunner(cold, { fast: { marbles: 'f|', values: { f: 'F' } }, slow: { marbles: '2s s|', values: { s: 'S' } } });
    expectObservable(compileForTest(directive, { runner }).run('GET /slow', testRequest()).pipe(summarize())).toBe('2s (r|)', { r: 'ok F' });
  });
});
`;

interface TestResult {
  readonly title: string;
  readonly status: string;
  readonly failureMessages: readonly string[];
}
interface FileResult {
  readonly name: string;
  readonly status: string;
  readonly message?: string;
  readonly assertionResults: readonly TestResult[];
}

let project: OutsideProject;
let tsc: ExecResult;
let libCheck: ExecResult;
let results: FileResult[] = [];
let vitestOutput = '';
let linked: FileResult[] = [];
let linkedOutput = '';

/** Runs the project's vitest on `files` in `cwd` and reads its JSON report. */
async function vitest(cwd: string, files: readonly string[]): Promise<{ files: FileResult[]; output: string }> {
  const report = join(cwd, '.vitest-report.json');
  await rm(report, { force: true });
  const run = await project.exec(
    process.execPath,
    [join(project.dir, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`, '--testTimeout=30000', ...files],
    { cwd, timeoutMs: 180_000 },
  );
  const output = `${run.stdout}${run.stderr}`;
  if (!existsSync(report)) throw new Error(`vitest wrote no report (exit ${run.code}):\n${output}`);
  return { files: (JSON.parse(await readFile(report, 'utf8')) as { testResults: FileResult[] }).testResults, output };
}

/** The results of one file of the run, by its path relative to the project. */
function fileResult(files: readonly FileResult[], file: string): FileResult {
  const found = files.find((result) => result.name.endsWith(`/${file}`));
  if (!found) throw new Error(`no result for ${file}:\n${vitestOutput}`);
  return found;
}

beforeAll(async () => {
  const dist = statSync(join(ROOT, 'dist/index.js')).mtimeMs;
  const newestSource = Math.max(...(await readdir(join(ROOT, 'src'), { recursive: true })).map((file) => statSync(join(ROOT, 'src', file)).mtimeMs));
  if (newestSource > dist) throw new Error('dist/ is older than src/: run npm run build first (npm test does), the outside project installs dist/');
  const files: Record<string, string> = {};
  for (const block of FILES) {
    if (block.annotation?.kind !== 'file') continue;
    if (files[block.annotation.path] !== undefined && files[block.annotation.path] !== block.code) throw new Error(`${where(block)}: another guide gives ${block.annotation.path} other contents`);
    files[block.annotation.path] = block.code;
  }
  project = await openOutsideProject({ commands: INSTALL.flatMap((block) => block.code.split('\n').filter((line) => line.trim() !== '')), files });
  console.log(`outside project (${project.setup}): ${project.dir}`);

  // The samples, and the checks of the marble kit.
  for (const dir of ['samples', 'checks']) await rm(join(project.dir, dir), { recursive: true, force: true });
  await mkdir(join(project.dir, 'samples'));
  await mkdir(join(project.dir, 'checks'));
  const runners = new Map<string, string[]>();
  for (const block of SAMPLES) {
    if (isTestFile(block)) await writeFile(join(project.dir, runnerFile(block)), `${block.code}\n`);
    else {
      await writeFile(join(project.dir, 'samples', `${slug(block)}.ts`), `${block.code}\n`);
      if (block.annotation?.kind !== 'compile-only') {
        const tests = runners.get(runnerFile(block)) ?? [`import { it } from 'vitest';\n`];
        tests.push(`it('${where(block)} runs', async () => {\n  await import('./${slug(block)}.js');\n});\n`);
        runners.set(runnerFile(block), tests);
      }
    }
  }
  for (const [file, tests] of runners) await writeFile(join(project.dir, file), tests.join('\n'));
  await writeFile(join(project.dir, 'checks', 'timers.spec.ts'), TIMERS_SPEC);

  // The same checks with e2rx installed as a link to the checkout (what `npm install ../e2rx` does without
  // install-links): a sibling directory whose node_modules are the project's, but e2rx is a link to the checkout.
  const linkedDir = join(project.base, 'linked-project');
  await rm(linkedDir, { recursive: true, force: true });
  await mkdir(join(linkedDir, 'node_modules'), { recursive: true });
  for (const entry of await readdir(join(project.dir, 'node_modules'))) {
    if (entry === 'e2rx' || entry === '.bin' || entry.startsWith('.')) continue;
    await symlink(join(project.dir, 'node_modules', entry), join(linkedDir, 'node_modules', entry));
  }
  await symlink(ROOT, join(linkedDir, 'node_modules', 'e2rx'));
  await writeFile(join(linkedDir, 'package.json'), await readFile(join(project.dir, 'package.json'), 'utf8'));
  await mkdir(join(linkedDir, 'checks'));
  await writeFile(join(linkedDir, 'checks', 'timers.spec.ts'), TIMERS_SPEC);

  // Everything at once: two type-checks, the samples and checks, the checks under the linked install.
  const typescript = join(project.dir, 'node_modules/typescript/bin/tsc');
  let main: { files: FileResult[]; output: string };
  let link: { files: FileResult[]; output: string };
  [tsc, libCheck, main, link] = await Promise.all([
    project.exec(process.execPath, [typescript, '--noEmit', '-p', '.'], { timeoutMs: 180_000 }),
    // e2rx's own declarations, checked too (the guides' tsconfig skips library checks, as most projects do).
    project.exec(process.execPath, [typescript, '--noEmit', '-p', '.', '--skipLibCheck', 'false'], { timeoutMs: 180_000 }),
    vitest(project.dir, ['samples', 'checks']),
    vitest(linkedDir, ['checks']),
  ]);
  ({ files: results, output: vitestOutput } = main);
  ({ files: linked, output: linkedOutput } = link);
}, 600_000);

afterAll(async () => {
  await project?.release();
});

describe('the package: rxjs is a peer dependency', () => {
  it('outside project - package.json: rxjs is a peer dependency with a range that matches the rxjs e2rx is developed with', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(pkg['dependencies']?.['rxjs']).toBeUndefined();
    expect(pkg['peerDependencies']?.['rxjs']).toBe('^7.8.0');
    const developed = (JSON.parse(await readFile(join(ROOT, 'node_modules/rxjs/package.json'), 'utf8')) as { version: string }).version;
    expect(developed).toMatch(/^7\.(8|9|[1-9]\d)\.\d+$/);
  });

  it('outside project - e2rx is installed as a copy, with no rxjs of its own: one rxjs in the project', () => {
    expect(lstatSync(join(project.dir, 'node_modules/e2rx')).isSymbolicLink()).toBe(false);
    expect(existsSync(join(project.dir, 'node_modules/e2rx/node_modules/rxjs'))).toBe(false);
    expect(existsSync(join(project.dir, 'node_modules/rxjs/package.json'))).toBe(true);
  });
});

describe('the marble kit in an outside project', () => {
  it('outside project - a group timeout fires at frame 1000 and a schedule ticks, in virtual time', () => {
    const file = fileResult(results, 'checks/timers.spec.ts');
    const byTitle = Object.fromEntries(file.assertionResults.map((test) => [test.title, test]));
    expect(byTitle['group timeout - fires at frame 1000 in virtual time']?.status, vitestOutput).toBe('passed');
    expect(byTitle['schedule - fromSchedule ticks at 0, 1000 and 2000 in virtual time']?.status, vitestOutput).toBe('passed');
  });

  it('outside project - a deliberately wrong marble expectation fails there', () => {
    const wrong = fileResult(results, 'checks/timers.spec.ts').assertionResults.find((test) => test.title.startsWith('WRONG ON PURPOSE'));
    expect(wrong?.status).toBe('failed');
    // What really happens (the group's failure at frame 1000) against what the wrong expectation says (frame 2000).
    expect(wrong?.failureMessages.join('\n')).toMatch(/expected \[ \{ frame: 1000, .*\] to deeply equal \[ \{ frame: 2000,/);
  });

  it('outside project - installed as a link (two copies of rxjs), e2rx/testing fails loudly with E2RX_TEST_RXJS_DUPLICATE', () => {
    const file = fileResult(linked, 'checks/timers.spec.ts');
    const groupTimeout = file.assertionResults.find((test) => test.title.startsWith('group timeout'));
    expect(groupTimeout?.status, linkedOutput).toBe('failed');
    const message = groupTimeout?.failureMessages.join('\n') ?? '';
    expect(message).toContain("e2rx/testing: the cold given to marbleRunner comes from another copy of rxjs than e2rx's");
    expect(message).toContain('marble tests would pass or fail wrongly');
    // Nothing passes wrongly: the deliberately wrong expectation fails too.
    expect(file.assertionResults.find((test) => test.title.startsWith('WRONG ON PURPOSE'))?.status).toBe('failed');
  });
});

describe('the guides in an outside project', () => {
  it('outside project - the guides have install commands, a tsconfig.json, and samples', () => {
    expect(INSTALL.map((block) => block.doc)).toEqual(['docs/guides/programmatic.md', 'docs/guides/streams.md', 'docs/guides/testing.md']);
    expect(Object.keys(FILES.map((block) => block.annotation))).toHaveLength(1);
    expect(SAMPLES.length).toBeGreaterThanOrEqual(18);
  });

  it("outside project - each guide's install commands name every package its samples import", () => {
    for (const install of INSTALL) {
      const installed = new Set(install.code.split(/\s+/).filter((word) => /^[@a-z]/.test(word)));
      for (const sample of SAMPLES.filter((block) => block.doc === install.doc)) {
        for (const name of importedPackages(sample.code)) {
          if (name === 'e2rx') continue; // installed as ../e2rx
          expect(installed.has(name), `${where(sample)} imports ${name}, which ${where(install)} does not install`).toBe(true);
        }
      }
    }
  });

  it('outside project - every TypeScript sample compiles under strict TypeScript (npx tsc)', () => {
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.code).toBe(0);
  });

  it("outside project - e2rx's published declarations compile without skipLibCheck (the types they import are dependencies)", () => {
    const ours = `${libCheck.stdout}${libCheck.stderr}`.split('\n').filter((line) => line.startsWith('node_modules/e2rx/'));
    expect(ours).toEqual([]);
  });

  for (const block of SAMPLES.filter((sample) => sample.annotation?.kind !== 'compile-only')) {
    it(`outside project - ${where(block)} runs`, () => {
      const file = fileResult(results, runnerFile(block));
      // A test file is the sample's own: all its tests. A document's runner: the one test that imports this sample.
      const tests = isTestFile(block) ? file.assertionResults : file.assertionResults.filter((test) => test.title === `${where(block)} runs`);
      expect(file.message ?? '', vitestOutput).toBe('');
      expect(tests.flatMap((test) => test.failureMessages), vitestOutput).toEqual([]);
      expect(tests.length).toBeGreaterThan(0);
      expect(tests.every((test) => test.status === 'passed')).toBe(true);
    });
  }
});
