/**
 * examples/hello, exactly as its README says: every `curl` of the README is replayed against the app served by
 * createEngine (headless too, where the README starts it so) and its output compared with the `# ` lines under it.
 * And the committed `.wasm` files must be what their sources build to today.
 */
import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { httpRequest } from '../engine/support/engine.js';
import { expectCasesPass, expectCommittedWasm } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = join(ROOT, 'examples', 'hello');
const README = await readFile(join(APP, 'README.md'), 'utf8');

afterAll(cleanupApps);

/** One `curl` of the README, with what the README says it prints. */
interface CurlExample {
  readonly headless: boolean;
  readonly command: string;
  readonly method: string;
  readonly path: string;
  readonly body: string | undefined;
  readonly includeHeaders: boolean;
  readonly expected: readonly string[];
}

/** Splits a shell command into words (single quotes only, which is all the README uses). */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

function curlExamples(markdown: string): { starts: string[]; curls: CurlExample[] } {
  const starts: string[] = [];
  const curls: CurlExample[] = [];
  let headless = false;
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = (block[1] ?? '').split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      const line = (lines[index] ?? '').trim();
      if (/npx e2rx start /.test(line)) {
        starts.push(line);
        headless = line.startsWith('E2RX_HEADLESS=true ');
      }
      if (!line.startsWith('curl ')) continue;
      const args = words(line).slice(1);
      let method: string | undefined;
      let body: string | undefined;
      let includeHeaders = false;
      let url = '';
      for (let arg = 0; arg < args.length; arg += 1) {
        const word = args[arg] ?? '';
        if (word === '-d') body = args[++arg];
        else if (word === '-X') method = args[++arg];
        else if (word === '-i') includeHeaders = true;
        else url = word;
      }
      const expected: string[] = [];
      while ((lines[index + 1] ?? '').startsWith('# ')) expected.push((lines[++index] ?? '').slice(2));
      curls.push({ headless, command: line, method: method ?? (body === undefined ? 'GET' : 'POST'), path: new URL(url).pathname, body, includeHeaders, expected });
    }
  }
  return { starts, curls };
}

const { starts, curls } = curlExamples(README);

async function serve(headless: boolean): Promise<{ port: number; stop: () => Promise<void> }> {
  const engine = createEngine({ app: 'examples/hello', cwd: ROOT, port: 0, host: '127.0.0.1', headless, logger: pino({ level: 'silent' }) });
  const port = await engine.start();
  return { port, stop: () => engine.stop() };
}

describe('examples/hello', () => {
  it('hello README - starts the app with npx e2rx start examples/hello (and headless with E2RX_HEADLESS=true)', () => {
    expect(starts).toContain('npx e2rx start examples/hello');
    expect(starts).toContain('E2RX_HEADLESS=true npx e2rx start examples/hello');
    expect(curls.map((curl) => curl.command)).toEqual([
      "curl -d 'world' http://localhost:8080/hello",
      'curl -i http://localhost:8080/greet/ada',
      'curl -i http://localhost:8080/greet/',
      "curl -d 'headless' http://localhost:8080/com.e2rx.hello/default/hello/v0.1.0",
      'curl -i -X POST http://localhost:8080/com.e2rx.hello/default/greet/v0.1.0',
    ]);
  });

  for (const headless of [false, true]) {
    it(`hello README - every curl ${headless ? 'after the headless start ' : ''}prints what the README says`, async () => {
      const server = await serve(headless);
      try {
        for (const curl of curls.filter((example) => example.headless === headless)) {
          const reply = await httpRequest(server.port, { method: curl.method, path: curl.path, ...(curl.body !== undefined ? { body: curl.body } : {}) });
          const expected = [...curl.expected];
          let status = 200;
          if (curl.includeHeaders) {
            const statusLine = /^HTTP\/1\.1 (\d{3}) (.+)$/.exec(expected.shift() ?? '');
            expect(statusLine, `${curl.command}: a status line`).not.toBeNull();
            status = Number(statusLine?.[1]);
            expect(statusLine?.[2], curl.command).toBe(STATUS_CODES[status]);
            while (/^[A-Za-z-]+: /.test(expected[0] ?? '')) {
              const [name, ...value] = (expected.shift() ?? '').split(': ');
              expect(reply.headers[(name ?? '').toLowerCase()], `${curl.command}: ${name}`).toBe(value.join(': '));
            }
          }
          expect(reply.status, curl.command).toBe(status);
          expect(reply.body, curl.command).toBe(expected.join('\n'));
        }
      } finally {
        await server.stop();
      }
    }, 30_000);
  }

  it('hello - GET /greet/ada gives the JSON of the issue, with Content-Type application/json', async () => {
    const server = await serve(false);
    try {
      const reply = await httpRequest(server.port, { path: '/greet/ada' });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/json');
      expect(JSON.parse(reply.body)).toEqual({ greeting: 'hello ada', previous: 'hello ', method: 'GET' });
      const hello = await httpRequest(server.port, { method: 'POST', path: '/hello', body: 'world' });
      expect(hello.body).toBe('hello world');
      expect(hello.headers['content-type']).toBe('application/octet-stream');
    } finally {
      await server.stop();
    }
  });

  it('hello - e2rx test: the cases of its Directive.test.yaml pass', async () => {
    expect(await expectCasesPass('hello')).toBeGreaterThan(0);
  });

  it('hello - the committed .wasm files are what their sources build to (rebuild them after a change)', async () => {
    await expectCommittedWasm('hello');
  }, 120_000);
});
