import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { DEFAULT_HTTP_PORT, START_ENVIRONMENT, listenAddress, resolveStartSettings, withListenAddress } from '../../../src/cli/commands/start.js';
import { createLogger } from '../../../src/logging/logger.js';
import { main } from '../../../src/cli/main.js';
import { E2rxError } from '../../../src/errors.js';
import { captureIo, cleanupApps, makeAppDir, makeBundle, minimalDirective, runnableWasm, type CapturedIo } from '../../support/apps.js';

let wasm: Uint8Array;
let appDir: string;

beforeAll(async () => {
  wasm = await runnableWasm();
  appDir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
});

afterAll(cleanupApps);

interface Running {
  readonly io: CapturedIo;
  readonly controller: AbortController;
  /** The exit code, once the command returns. */
  readonly exit: Promise<number>;
}

const running: Running[] = [];

afterEach(async () => {
  for (const run of running.splice(0)) {
    run.controller.abort();
    await run.exit;
  }
});

/** Runs `e2rx start` with JSON logs; stop it with `controller.abort()`. */
function start(args: readonly string[], options: { readonly env?: Record<string, string>; readonly cwd?: string } = {}): Running {
  const controller = new AbortController();
  const io = captureIo({ cwd: options.cwd ?? appDir, env: options.env ?? {}, signal: controller.signal });
  const run = { io, controller, exit: main(['start', '--log-format', 'json', ...args], io) };
  running.push(run);
  return run;
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

function logLines(io: CapturedIo): LogLine[] {
  return io
    .out()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Waits until a log line matches, or the command exits (then fails with its output). */
async function waitForLog(run: Running, pattern: RegExp, timeoutMs = 10_000): Promise<LogLine> {
  let exited: number | undefined;
  void run.exit.then((code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = logLines(run.io).find((candidate) => pattern.test(candidate.msg));
    if (line) return line;
    if (exited !== undefined) throw new Error(`start exited with ${exited} before logging ${pattern}:\n${run.io.out()}${run.io.err()}`);
    if (Date.now() > deadline) throw new Error(`no log line ${pattern} within ${timeoutMs} ms:\n${run.io.out()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The port from the `serving on :<port>` (or `serving on <host>:<port>`) log line. */
async function boundPort(run: Running): Promise<number> {
  const line = await waitForLog(run, /^serving on \S*:\d+$/);
  return Number(/:(\d+)$/.exec(line.msg)?.[1]);
}

async function health(port: number): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: response.status, body: await response.json() };
}

/** A port nobody listens on (bound then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('start - serving', () => {
  it('start - answers GET /health with 200 {"healthy":true} once the app is loaded', async () => {
    const run = start(['--port', '0', appDir]);
    const port = await boundPort(run);
    const loaded = await waitForLog(run, /^loaded /);
    expect(loaded['app']).toBe('com.example.spec');
    expect(loaded['functions']).toEqual(['com.example.spec#default::hello@v1.0.0']);
    expect(await health(port)).toEqual({ status: 200, body: { healthy: true, connections: {} } });
  });

  it('start - answers /health with 503 {"healthy":false} while the app is loading', async () => {
    if (process.platform === 'win32') return;
    // A FIFO as Directive.yaml blocks the loader until the spec writes it: the server is already listening.
    const dir = await makeAppDir({ files: { 'hello.wasm': wasm } });
    execFileSync('mkfifo', [join(dir, 'Directive.yaml')]);
    const run = start(['--port', '0', '.'], { cwd: dir });
    const port = await boundPort(run);
    expect(await health(port)).toEqual({ status: 503, body: { healthy: false, connections: {} } });
    await writeFile(join(dir, 'Directive.yaml'), minimalDirective());
    await waitForLog(run, /^loaded /);
    expect(await health(port)).toEqual({ status: 200, body: { healthy: true, connections: {} } });
  });

  it('start - serves a bundle, found at ./runnables.wasm.zip by default', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm });
    const run = start(['--port', '0'], { cwd: bundle.dir });
    const port = await boundPort(run);
    expect((await waitForLog(run, /^loaded /)).msg).toBe('loaded runnables.wasm.zip');
    expect((await health(port)).status).toBe(200);
  });

  it('start - the loaded line names the app as cli.md shows: loaded my-app from its parent, loaded . inside it', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/reference/cli.md', import.meta.url), 'utf8');
    expect(doc).toContain('"msg":"loaded my-app"}');
    expect(doc).toContain('`e2rx start` logs `loaded .`');
    const parent = await makeAppDir({});
    const app = join(parent, 'my-app');
    await writeFile(join(parent, 'placeholder'), '');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(app);
    await writeFile(join(app, 'Directive.yaml'), minimalDirective());
    await writeFile(join(app, 'hello.wasm'), wasm);
    expect((await waitForLog(start(['--port', '0', 'my-app'], { cwd: parent }), /^loaded /)).msg).toBe('loaded my-app');
    expect((await waitForLog(start(['--port', '0'], { cwd: app }), /^loaded /)).msg).toBe('loaded .');
  });

  it('start - logs the warnings of the Directive', async () => {
    const dir = await makeAppDir({ directive: minimalDirective({ extra: 'atmoversion: v0.4.7' }), files: { 'hello.wasm': wasm } });
    const run = start(['--port', '0', dir]);
    const warning = await waitForLog(run, /unknown key 'atmoversion'/);
    expect(warning.level).toBe(40);
  });

  it('start - stops and exits 0 when its signal aborts', async () => {
    const run = start(['--port', '0', appDir]);
    const port = await boundPort(run);
    await waitForLog(run, /^loaded /);
    run.controller.abort();
    expect(await run.exit).toBe(0);
    expect(logLines(run.io).map((line) => line.msg).slice(-2)).toEqual(['shutting down', 'stopped']);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('start - listens on --host, and logs that address (not :<port>)', async () => {
    const run = start(['--port', '0', '--host', '127.0.0.1', appDir]);
    const port = await boundPort(run);
    await waitForLog(run, /^loaded /);
    expect((await health(port)).status).toBe(200);
    const serving = logLines(run.io).find((line) => line.msg.startsWith('serving on'));
    expect(serving).toMatchObject({ msg: `serving on 127.0.0.1:${port}`, host: '127.0.0.1', port });
  });

  it('start - without --host, logs serving on :<port> (every interface)', async () => {
    const run = start(['--port', '0', appDir]);
    const port = await boundPort(run);
    expect(logLines(run.io).find((line) => line.msg.startsWith('serving on'))).toMatchObject({ msg: `serving on :${port}`, port });
  });

  it('start - --headless is reported in the loaded line', async () => {
    const run = start(['--port', '0', '--headless', appDir]);
    expect((await waitForLog(run, /^loaded /))['headless']).toBe(true);
  });
});

describe('start - failures', () => {
  it('start - an invalid app exits 1 with the problems and no stack trace', async () => {
    const dir = await makeAppDir({ directive: minimalDirective({ appVersion: 'latest' }), files: { 'hello.wasm': wasm } });
    const run = start(['--port', '0', dir]);
    expect(await run.exit).toBe(1);
    expect(run.io.err()).toMatch(/^e2rx: found 1 problem:\n\t.*Directive\.yaml:2:13: app version is not a valid semantic version\nhint: /);
    expect(run.io.err()).not.toMatch(/^ {4}at /m);
  });

  it('start - a missing app exits 1 with a clear message before it listens or logs anything', async () => {
    const port = await freePort();
    const run = start(['--port', String(port), 'no-such-dir']);
    expect(await run.exit).toBe(1);
    expect(run.io.err()).toBe('e2rx: no-such-dir does not exist\nhint: pass an app directory holding a Directive.yaml, or a runnables.wasm.zip bundle\n');
    expect(run.io.out()).toBe('');
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('start - a port in use exits 1 with EADDRINUSE explained', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const run = start(['--port', String(port), appDir]);
      expect(await run.exit).toBe(1);
      const lines = run.io.err().trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^e2rx: cannot listen on port ${port}: .*EADDRINUSE`));
      expect(lines[1]).toBe('hint: another process uses that port: pass --port <port> or stop it');
      expect(run.io.err()).not.toMatch(/^ {4}at /m);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it.each([['abc'], ['-1'], ['65536'], ['80.5']])('start - --port %s exits 1 with a hint', async (port) => {
    const run = start([`--port=${port}`, appDir]);
    expect(await run.exit).toBe(1);
    expect(run.io.err()).toBe(`e2rx: port '${port}' is not a valid port\nhint: use a number from 0 to 65535 (0 picks a free port)\n`);
  });

  it('start - an invalid --log-level exits 1 with the levels', async () => {
    const run = start(['--port', '0', '--log-level', 'verbose', appDir]);
    expect(await run.exit).toBe(1);
    expect(run.io.err()).toBe("e2rx: log level 'verbose' is not valid\nhint: use one of trace, debug, info, warn, error, fatal, silent\n");
  });

  it('start - an invalid E2RX_LOG_LEVEL exits 1', async () => {
    const run = start(['--port', '0', appDir], { env: { E2RX_LOG_LEVEL: 'loud' } });
    expect(await run.exit).toBe(1);
    expect(run.io.err()).toContain("log level 'loud' is not valid");
  });

  it('start - an invalid --log-format exits 1', async () => {
    const controller = new AbortController();
    const io = captureIo({ cwd: appDir, signal: controller.signal });
    expect(await main(['start', '--port', '0', '--log-format', 'xml'], io)).toBe(1);
    expect(io.err()).toBe("e2rx: log format 'xml' is not valid\nhint: use json or pretty\n");
  });
});

describe('start - environment', () => {
  it('start - honours E2RX_HTTP_PORT', async () => {
    const port = await freePort();
    const run = start([appDir], { env: { E2RX_HTTP_PORT: String(port) } });
    expect(await boundPort(run)).toBe(port);
  });

  it('start - honours ATMO_HTTP_PORT', async () => {
    const port = await freePort();
    const run = start([appDir], { env: { ATMO_HTTP_PORT: String(port) } });
    expect(await boundPort(run)).toBe(port);
  });

  it('start - E2RX_HTTP_PORT wins over ATMO_HTTP_PORT', async () => {
    const port = await freePort();
    const run = start([appDir], { env: { E2RX_HTTP_PORT: String(port), ATMO_HTTP_PORT: 'not a port' } });
    expect(await boundPort(run)).toBe(port);
  });

  it('start - --port wins over the environment', async () => {
    const run = start(['--port', '0', appDir], { env: { E2RX_HTTP_PORT: 'not a port', ATMO_HTTP_PORT: 'nor this' } });
    const port = await boundPort(run);
    expect(port).toBeGreaterThan(0);
  });

  it('start - an invalid E2RX_HTTP_PORT exits 1 with a hint', async () => {
    const run = start([appDir], { env: { E2RX_HTTP_PORT: 'eighty' } });
    expect(await run.exit).toBe(1);
    expect(run.io.err()).toContain("e2rx: port 'eighty' is not a valid port\nhint: ");
  });

  it('start - honours ATMO_LOG_LEVEL (warn hides the info lines)', async () => {
    const dir = await makeAppDir({ directive: minimalDirective({ extra: 'extraKey: 1' }), files: { 'hello.wasm': wasm } });
    const port = await freePort();
    const run = start([dir], { env: { ATMO_LOG_LEVEL: 'warn', E2RX_HTTP_PORT: String(port) } });
    await waitForLog(run, /unknown key 'extraKey'/);
    await expect.poll(async () => (await health(port)).status).toBe(200);
    expect(logLines(run.io).every((line) => line.level >= 40)).toBe(true);
  });

  it.each([
    ['E2RX_HEADLESS', 'yes'],
    ['ATMO_HEADLESS', 'on'],
    ['E2RX_RUN_SCHEDULES', 'no'],
  ])('start - %s=%s is not a boolean: exit 1 before listening, as for a bad port', async (name, value) => {
    const run = start(['--port', '0', appDir], { env: { [name]: value } });
    expect(await run.exit).toBe(1);
    expect(run.io.err()).toBe(`e2rx: ${name} '${value}' is not a boolean\nhint: set ${name} to true or false (or 1 or 0)\n`);
    expect(run.io.out()).toBe('');
  });

  it('start - --log-level wins over E2RX_LOG_LEVEL', async () => {
    const run = start(['--port', '0', '--log-level', 'info', appDir], { env: { E2RX_LOG_LEVEL: 'error' } });
    await waitForLog(run, /^loaded /);
  });
});

describe('resolveStartSettings', () => {
  it('resolveStartSettings - defaults: port 8080, level info, no host, not headless', () => {
    expect(resolveStartSettings({}, [], {})).toEqual({ app: undefined, port: DEFAULT_HTTP_PORT, host: undefined, logLevel: 'info', logFormat: undefined, headless: false, runSchedules: true, accessLog: true });
    expect(DEFAULT_HTTP_PORT).toBe(8080);
  });

  it('resolveStartSettings - flags win over E2RX_*, which win over ATMO_*', () => {
    const env = { E2RX_HTTP_PORT: '2000', ATMO_HTTP_PORT: '3000', E2RX_LOG_LEVEL: 'debug', ATMO_LOG_LEVEL: 'warn', E2RX_HTTP_HOST: '::1' };
    expect(resolveStartSettings({}, ['app'], env)).toMatchObject({ app: 'app', port: 2000, logLevel: 'debug', host: '::1' });
    expect(resolveStartSettings({ port: '1000', 'log-level': 'error', host: '127.0.0.1' }, [], env)).toMatchObject({ port: 1000, logLevel: 'error', host: '127.0.0.1' });
    expect(resolveStartSettings({}, [], { ATMO_HTTP_PORT: '3000', ATMO_LOG_LEVEL: 'warn' })).toMatchObject({ port: 3000, logLevel: 'warn' });
  });

  it('resolveStartSettings - an empty variable counts as unset', () => {
    expect(resolveStartSettings({}, [], { E2RX_HTTP_PORT: '' }).port).toBe(8080);
    expect(resolveStartSettings({}, [], { E2RX_HTTP_PORT: '', ATMO_HTTP_PORT: '3000' }).port).toBe(3000);
    expect(resolveStartSettings({}, [], { E2RX_LOG_LEVEL: '' }).logLevel).toBe('info');
    expect(resolveStartSettings({}, [], { E2RX_LOG_LEVEL: '', ATMO_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(resolveStartSettings({}, [], { E2RX_HTTP_HOST: '' }).host).toBeUndefined();
    expect(resolveStartSettings({}, [], { E2RX_HEADLESS: '', ATMO_HEADLESS: 'true' }).headless).toBe(true);
  });

  it.each([
    [{ E2RX_HEADLESS: 'true' }, true],
    [{ ATMO_HEADLESS: '1' }, true],
    [{ E2RX_HEADLESS: 'TRUE' }, true],
    [{ ATMO_HEADLESS: 'false' }, false],
    [{ E2RX_HEADLESS: '0' }, false],
    [{ E2RX_HEADLESS: 'false', ATMO_HEADLESS: 'true' }, false],
  ])('resolveStartSettings - headless from %j is %s', (env, headless) => {
    expect(resolveStartSettings({}, [], env).headless).toBe(headless);
  });

  it.each([
    [{}, true],
    [{ E2RX_RUN_SCHEDULES: 'false' }, false],
    [{ ATMO_RUN_SCHEDULES: '0' }, false],
    [{ E2RX_RUN_SCHEDULES: 'true', ATMO_RUN_SCHEDULES: 'false' }, true],
  ])('resolveStartSettings - runSchedules from %j is %s', (env, runSchedules) => {
    expect(resolveStartSettings({}, [], env).runSchedules).toBe(runSchedules);
  });

  it.each([
    [{}, true],
    [{ E2RX_ACCESS_LOG: 'false' }, false],
    [{ E2RX_ACCESS_LOG: '0' }, false],
    [{ E2RX_ACCESS_LOG: 'true' }, true],
  ])('resolveStartSettings - accessLog from %j is %s', (env, accessLog) => {
    expect(resolveStartSettings({}, [], env).accessLog).toBe(accessLog);
  });

  it.each([['yes'], ['on'], ['2'], [' true']])('resolveStartSettings - E2RX_HEADLESS=%j throws E2RX_CLI_USAGE naming the variable', (value) => {
    expect(() => resolveStartSettings({}, [], { E2RX_HEADLESS: value })).toThrow(`E2RX_HEADLESS '${value}' is not a boolean`);
  });

  it('resolveStartSettings - reads the variables of START_ENVIRONMENT, and no other', () => {
    const read = new Set<string>();
    const env = new Proxy<Record<string, string | undefined>>({}, {
      get: (_target, name) => {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    resolveStartSettings({}, [], env);
    expect([...read].sort()).toEqual(Object.values(START_ENVIRONMENT).flatMap((setting) => [...setting.names]).sort());
  });

  it('resolveStartSettings - throws E2RX_CLI_USAGE for a bad port', () => {
    expect(() => resolveStartSettings({ port: '99999' }, [], {})).toThrow(E2rxError);
  });
});

describe('start - help and the listen address', () => {
  it('start --help lists every environment variable start reads', async () => {
    const io = captureIo();
    expect(await main(['start', '--help'], io)).toBe(0);
    for (const setting of Object.values(START_ENVIRONMENT)) expect(io.out()).toContain(setting.names.join(', '));
    expect(io.out()).toContain('E2RX_HTTP_HOST');
    expect(io.out()).toContain('E2RX_RUN_SCHEDULES, ATMO_RUN_SCHEDULES');
  });

  it('start - docs/reference/cli.md names every environment variable start reads', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/reference/cli.md', import.meta.url), 'utf8');
    for (const name of Object.values(START_ENVIRONMENT).flatMap((setting) => setting.names)) expect(doc).toContain(`\`${name}\``);
  });

  it.each([
    [undefined, 8080, ':8080'],
    ['127.0.0.1', 8080, '127.0.0.1:8080'],
    ['::1', 3000, '[::1]:3000'],
    ['localhost', 0, 'localhost:0'],
  ])('listenAddress - %s and %i give %s', (host, port, address) => {
    expect(listenAddress(host, port)).toBe(address);
  });

  it('withListenAddress - rewrites the serving line only; children keep their bindings', () => {
    let text = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const logger = withListenAddress(createLogger({ format: 'json', destination }), '::1');
    logger.info({ port: 4000 }, 'serving on :4000');
    logger.info({ port: 4000 }, 'something else');
    logger.child({ request_id: 'r1' }).info('child line');
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ host: '::1', port: 4000, msg: 'serving on [::1]:4000' });
    expect(lines[1]).toMatchObject({ port: 4000, msg: 'something else' });
    expect(lines[1]).not.toHaveProperty('host');
    expect(lines[2]).toMatchObject({ request_id: 'r1', msg: 'child line' });
  });
});
