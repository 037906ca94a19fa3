/**
 * A hello function in Go (the Go SDK, standard Go, GOOS=wasip1, built by e2rx build's compileGo) against the same
 * function in AssemblyScript (the baseline, built by compileAssemblyScript): module size, compile time, the first
 * call of the first instance, the start-up of a new instance (instantiate, `_initialize` for Go, first call) and a
 * call on a warm instance. Both answer `hello <input>`.
 *
 * Each measurement runs in a fresh Node process (V8 caches compiled modules within a process, which would hide the
 * compile and first-call costs), `ROUNDS` processes per language, alternating; the figures are medians over the
 * rounds, and ratios Go / AssemblyScript. The functions run on e2rx's runtime in inline mode (no worker hand-off),
 * so the figures are the cost of the modules themselves.
 *
 * Run: node --import tsx bench/go-functions.ts   (about 30 s; needs Go 1.24+)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { compileAssemblyScript } from '../src/build/assemblyscript.js';
import { compileGo } from '../src/build/go.js';
import { findGoToolchain } from '../src/build/go-toolchain.js';
import { DEFAULT_CAPABILITIES } from '../src/directive/capability-config.js';
import type { HostCallResult, HostServices } from '../src/capabilities/host-services.js';
import { createRequest } from '../src/runtime/request.js';
import { createRuntime, type Runtime } from '../src/runtime/runtime.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = 5;
/** New instances measured per process (fresh-instance mode: instantiate, initialise, call). */
const STARTS = 100;
/** Calls measured per process on a reused instance. */
const CALLS = 2000;

const AS_HELLO = `import { Output } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  return Output.ok("hello " + String.UTF8.decode(input));
}
`;

/** What one measuring process reports, in milliseconds (sizes in bytes). */
interface Measure {
  readonly compileMs: number;
  readonly firstCallMs: number;
  readonly startMs: number;
  readonly callUs: number;
  readonly initialPages: number;
}

const status = (): Promise<HostCallResult> => Promise.resolve({ kind: 'status', status: -1 });
const services: HostServices = {
  cacheGet: status,
  cacheSet: status,
  fetchUrl: status,
  graphqlQuery: status,
  dbExec: status,
  getStaticFile: status,
  close: () => Promise.resolve(),
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** The measuring process: registers the module (compile), calls it once, then measures new instances and calls. */
async function measure(file: string): Promise<Measure> {
  const bytes = new Uint8Array(await readFile(file));
  const options = { capabilities: DEFAULT_CAPABILITIES, services, logger: pino({ level: 'silent' }), inline: true };
  const request = () => createRequest({ method: 'POST', url: '/hello', body: new TextEncoder().encode('world') });
  const expectHello = async (runtime: Runtime): Promise<void> => {
    const result = await runtime.invoke('hello', request());
    if (result.kind !== 'output' || new TextDecoder().decode(result.output) !== 'hello world') throw new Error(`unexpected answer: ${JSON.stringify(result)}`);
  };

  const reused = createRuntime(options);
  let started = performance.now();
  const info = await reused.register('hello', bytes);
  const compileMs = performance.now() - started;
  started = performance.now();
  await expectHello(reused);
  const firstCallMs = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < CALLS; i += 1) await expectHello(reused);
  const callUs = ((performance.now() - started) / CALLS) * 1000;
  await reused.close();

  const fresh = createRuntime({ ...options, freshInstancePerCall: true });
  await fresh.register('hello', bytes);
  await expectHello(fresh);
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i += 1) {
    started = performance.now();
    await expectHello(fresh);
    starts.push(performance.now() - started);
  }
  await fresh.close();
  return { compileMs, firstCallMs, startMs: median(starts), callUs, initialPages: info.memory?.initialPages ?? 0 };
}

/** Runs {@link measure} in a new process. */
function measureInChild(file: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--measure', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Measure) : reject(new Error(`the measuring process exited with ${String(code)}`))));
  });
}

/** Builds both hello functions into `dir`; returns their files. */
async function buildModules(dir: string): Promise<{ go: string; as: string }> {
  const go = await findGoToolchain({ cwd: ROOT, why: 'the Go hello function' });
  const fixtures = join(ROOT, 'specs', 'fixtures', 'go');
  const goFile = join(dir, 'hello-go.wasm');
  const built = await compileGo({ moduleDir: fixtures, dir: join(fixtures, 'hello'), output: goFile, baseDir: fixtures, go });
  if (!built.ok) throw new Error(`the Go hello did not build: ${JSON.stringify(built.diagnostics)}`);
  const source = join(dir, 'index.ts');
  await writeFile(source, AS_HELLO);
  const compiled = await compileAssemblyScript({ source, baseDir: dir });
  if (!compiled.ok) throw new Error(`the AssemblyScript hello did not build: ${JSON.stringify(compiled.diagnostics)}`);
  const asFile = join(dir, 'hello-as.wasm');
  await writeFile(asFile, compiled.binary);
  process.stdout.write(`built with ${go.version}\n`);
  return { go: goFile, as: asFile };
}

const kB = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;
const ms = (value: number): string => `${value.toFixed(2)} ms`;
const ratio = (go: number, as: number): string => `×${(go / as).toFixed(1)}`;

/** The benchmark: builds both modules, measures each in ROUNDS processes, prints a table. */
export async function run(): Promise<void> {
  process.stdout.write(`go-functions: ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores, Node ${process.version}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-go-'));
  try {
    const files = await buildModules(dir);
    const results: { go: Measure[]; as: Measure[] } = { go: [], as: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      results.as.push(await measureInChild(files.as));
      results.go.push(await measureInChild(files.go));
    }
    const sizes = { go: (await readFile(files.go)).byteLength, as: (await readFile(files.as)).byteLength };
    const of = (lang: 'go' | 'as', key: keyof Measure): number => median(results[lang].map((m) => m[key]));
    const rows: Array<[string, string, string, string]> = [
      ['module size', kB(sizes.as), kB(sizes.go), ratio(sizes.go, sizes.as)],
      ['initial memory', `${of('as', 'initialPages') * 64} KiB`, `${of('go', 'initialPages') * 64} KiB`, ratio(of('go', 'initialPages'), of('as', 'initialPages'))],
      ['compile (register)', ms(of('as', 'compileMs')), ms(of('go', 'compileMs')), ratio(of('go', 'compileMs'), of('as', 'compileMs'))],
      ['first call of the first instance', ms(of('as', 'firstCallMs')), ms(of('go', 'firstCallMs')), ratio(of('go', 'firstCallMs'), of('as', 'firstCallMs'))],
      ['new instance: instantiate, initialise, call', ms(of('as', 'startMs')), ms(of('go', 'startMs')), ratio(of('go', 'startMs'), of('as', 'startMs'))],
      ['call on a warm instance', `${of('as', 'callUs').toFixed(1)} µs`, `${of('go', 'callUs').toFixed(1)} µs`, ratio(of('go', 'callUs'), of('as', 'callUs'))],
    ];
    process.stdout.write(`\nmedians of ${ROUNDS} processes per language (${STARTS} new instances, ${CALLS} warm calls each)\n\n`);
    process.stdout.write('| hello | AssemblyScript (baseline) | Go | Go / AssemblyScript |\n|---|---|---|---|\n');
    for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--measure');
  if (at >= 0) process.stdout.write(JSON.stringify(await measure(process.argv[at + 1] ?? '')));
  else await run();
}
