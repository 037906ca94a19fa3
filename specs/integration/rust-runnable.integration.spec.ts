/**
 * A real Rust Runnable, unchanged: `specs/fixtures/rust/hello-rs` is written against Suborbital's published
 * `suborbital` crate v0.15.1 (the Atmo v0.4.x Runnable API) and built with Debian's rustc for wasm32-wasi by
 * `scripts/build-rust-fixture.sh`. The build is committed (`hello-rs.wasm`) with what it was built from
 * (`hello-rs.build-hash`); this spec checks that the build is not older than its source, then serves the module with
 * `createEngine` and calls it over HTTP: request fields, cache (in memory and Redis), logging, an outbound HTTP call
 * to a loopback server, response headers, a RunErr, a panic, and state between steps.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_FUNCTIONS } from '../../src/runtime/abi/catalogue.js';
import { REDIS_URL, requireService } from '../support/services.js';
import { guestLines, LEVEL, startApp, type StartedApp } from './support/app.js';
import { REPO_ROOT } from './support/functions.js';
import { startTargetServer, type TargetServer } from './support/target-server.js';

const FN = 'hello-rs';
const FIXTURES = join(REPO_ROOT, 'specs', 'fixtures', 'rust');
const CRATE = join(FIXTURES, FN);
const WASM = join(FIXTURES, `${FN}.wasm`);
const BUILD_HASH = join(FIXTURES, `${FN}.build-hash`);
const REBUILD = 'run: bash scripts/build-rust-fixture.sh, then commit the crate, its .wasm and its .build-hash together';

const HANDLERS = `
- type: request
  resource: /hello/:name
  method: POST
  steps:
    - fn: ${FN}
- type: request
  resource: /anonymous
  method: POST
  steps:
    - fn: ${FN}
- type: request
  resource: /twice/:name
  method: POST
  steps:
    - fn: ${FN}
      as: first
    - fn: ${FN}
`;

/** The files the build hash covers: Cargo.toml, Cargo.lock and src/**\/*.rs, as posix paths relative to the crate. */
async function sourceFiles(): Promise<string[]> {
  const rust = (await readdir(join(CRATE, 'src'), { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.rs'))
    .map((entry) => relative(CRATE, join(entry.parentPath, entry.name)).split(sep).join('/'));
  // Byte order of the paths, as `LC_ALL=C sort` in the script.
  return ['Cargo.toml', 'Cargo.lock', ...rust].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The script's source hash: sha256 over each file's path, NUL, content, NUL, in path order. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await sourceFiles()) {
    hash.update(file);
    hash.update('\0');
    hash.update(await readFile(join(CRATE, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

async function recordedBuild(): Promise<Record<string, string>> {
  const text = await readFile(BUILD_HASH, 'utf8');
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const space = line.indexOf(' ');
        return [line.slice(0, space), line.slice(space + 1)];
      }),
  );
}

describe('hello-rs, the committed build', () => {
  it('rust fixture - the committed .wasm was built from the current sources', async () => {
    const recorded = await recordedBuild();
    expect(recorded['sources-sha256'], `specs/fixtures/rust/${FN} changed since its .wasm was built; ${REBUILD}`).toBe(await sourceHash());
    const wasmHash = createHash('sha256').update(await readFile(WASM)).digest('hex');
    expect(wasmHash, `specs/fixtures/rust/${FN}.wasm is not the build recorded in ${FN}.build-hash; ${REBUILD}`).toBe(recorded['wasm-sha256']);
  });

  it("rust fixture - it is built with Suborbital's crate 0.15.1 for wasm32-wasi", async () => {
    const recorded = await recordedBuild();
    expect(recorded).toMatchObject({ suborbital: '0.15.1', target: 'wasm32-wasi' });
    const lock = await readFile(join(CRATE, 'Cargo.lock'), 'utf8');
    expect(lock).toMatch(/name = "suborbital"\nversion = "0\.15\.1"\nsource = "registry\+https:\/\/github\.com\/rust-lang\/crates\.io-index"/);
  });

  it("rust fixture - the module has the crate's Runnable ABI and imports only host functions and WASI", async () => {
    const module = new WebAssembly.Module(await readFile(WASM));
    const exports = WebAssembly.Module.exports(module).map((entry) => entry.name);
    expect(exports).toEqual(expect.arrayContaining(['memory', '_start', 'allocate', 'deallocate', 'run_e']));
    const imports = WebAssembly.Module.imports(module);
    for (const entry of imports) {
      if (entry.module === 'env') expect(Object.keys(HOST_FUNCTIONS)).toContain(entry.name);
      else expect(entry.module).toBe('wasi_snapshot_preview1');
    }
    expect(imports.filter((entry) => entry.module === 'env').map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['return_result', 'return_error', 'get_ffi_result', 'request_get_field', 'cache_set', 'cache_get', 'fetch_url', 'log_msg', 'resp_set_header']),
    );
  });
});

describe('hello-rs on the engine', () => {
  let server: TargetServer;
  let app: StartedApp;

  beforeAll(async () => {
    server = await startTargetServer();
    app = await startApp({ functions: [FN], modules: { [FN]: { bytes: await readFile(WASM), lang: 'rust' } }, handlers: HANDLERS });
  });

  afterAll(async () => {
    await app?.stop();
    await server?.close();
  });

  it('hello-rs - reads method, url, url param and body, and answers with its headers', async () => {
    const reply = await app.call('/hello/ada', 'world');
    expect(reply.status, reply.text).toBe(200);
    expect(reply.text).toBe(['hello ada', 'method=POST', 'url=/hello/ada', 'body=world', 'cached=world', 'state.first=', ''].join('\n'));
    expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(reply.headers.get('x-runnable')).toBe('hello-rs');
  });

  it('hello-rs - log::info reaches the server log with the request scope', async () => {
    await app.call('/hello/logged', 'x');
    const line = guestLines(app.logs, app.logs.find((entry) => entry.msg === 'hello-rs: POST /hello/logged name=logged')?.fn ?? '?').find(
      (entry) => entry.msg === 'hello-rs: POST /hello/logged name=logged',
    );
    expect(line).toMatchObject({ level: LEVEL.info });
    expect(line?.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hello-rs - cache::set then cache::get in one call, and the value is there for the next call', async () => {
    await app.call('/hello/cached', 'first value');
    const reply = await app.call('/hello/cached', 'second value');
    expect(reply.text).toContain('cached=second value\n');
  });

  it('hello-rs - http::get reaches a loopback server with its headers and returns the body', async () => {
    const reply = await app.call('/hello/fetcher', 'body', { 'x-fetch': `${server.origin}/echo/from-rust` });
    expect(reply.status, reply.text).toBe(200);
    const fetched = reply.text.split('\n').find((line) => line.startsWith('fetched='));
    expect(JSON.parse(fetched?.slice('fetched='.length) ?? '')).toMatchObject({ method: 'GET', url: '/echo/from-rust' });
    expect(server.receivedAt('/echo/from-rust')[0]?.headers['x-from']).toBe('hello-rs');
  });

  it('hello-rs - a host error from http::get becomes its RunErr 502 with the host message', async () => {
    const reply = await app.call('/hello/fetcher', 'body', { 'x-fetch': `${server.origin}/status/404` });
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.text)).toEqual({ status: 502, message: '404: status 404 body' });
  });

  it('hello-rs - a RunErr becomes the HTTP status and the JSON error body', async () => {
    const reply = await app.call('/anonymous', 'x');
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toEqual({ status: 400, message: 'hello-rs needs a name' });
  });

  it('hello-rs - a panic is a 500, its message goes to the log (stderr), and the next call works', async () => {
    const reply = await app.call('/hello/bob', 'panic');
    expect(reply.status).toBe(500);
    expect(app.logs.some((line) => line['stream'] === 'stderr' && /panicked at 'hello-rs was asked to panic'/.test(line.msg))).toBe(true);
    expect(await app.call('/hello/bob', 'fine')).toMatchObject({ status: 200 });
  });

  it('hello-rs - req::state reads the output of an earlier step', async () => {
    const reply = await app.call('/twice/ada', 'twice');
    expect(reply.status, reply.text).toBe(200);
    expect(reply.text).toContain('state.first=hello ada\n');
  });

  it('hello-rs - many calls in a row reuse the instance without corrupting its heap', async () => {
    for (let i = 0; i < 50; i += 1) {
      const body = `call ${i} ${'x'.repeat(i * 37)}`;
      const reply = await app.call(`/hello/n${i}`, body);
      expect(reply.text).toContain(`body=${body}\ncached=${body}\n`);
    }
  });
});

describe('hello-rs on the engine with Redis', () => {
  let app: StartedApp;
  let redis: Redis;

  beforeAll(async () => {
    await requireService('redis');
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    app = await startApp({
      functions: [FN],
      modules: { [FN]: { bytes: await readFile(WASM), lang: 'rust' } },
      handlers: HANDLERS,
      extra: `connections:\n  redis:\n    serverAddress: ${REDIS_URL}`,
    });
  });

  afterAll(async () => {
    await app?.stop();
    if (redis !== undefined) {
      await redis.del('hello-rs:rs-redis-it');
      redis.disconnect();
    }
  });

  it('hello-rs - cache::set with a TTL lands in Redis with that expiry', async () => {
    const reply = await app.call('/hello/rs-redis-it', 'kept in redis', { 'x-ttl': '30' });
    expect(reply.text).toContain('cached=kept in redis\n');
    expect(await redis.get('hello-rs:rs-redis-it')).toBe('kept in redis');
    const ttl = await redis.ttl('hello-rs:rs-redis-it');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
  });
});
