/**
 * The cost of inbound authentication (`auth`, e2rx) per HTTP request, as a ratio to the same app without it, in the
 * same run: the one-step echo app of bench/http.ts served by `e2rx start` (the built dist/), each server in its own
 * process and the load generator (autocannon, keep-alive connections, closed loop) in another.
 *
 * - **no auth (baseline):** the echo app as it is;
 * - **no auth, token sent anyway:** the same, with the HS256 row's `Authorization` header on every request (the
 *   control: what the longer request costs without any auth);
 * - **JWT HS256 / RS256 / ES256:** app-wide `auth.jwt` with a secret or a public key, issuer and audience checked;
 *   every request carries the same bearer token (as a client reusing its token does: verified once, then served from
 *   the cache of verified tokens);
 * - **API key:** `auth.apiKeys`, one key in `X-API-Key`.
 *
 * Besides the rates, the server's CPU time per answered request (all its threads, from /proc/<pid>/stat), which
 * other processes on the machine disturb far less than the rates: the cost per request is its difference to no auth.
 *
 * And the CPU time of verifying a token seen for the first time (no cache: `jose`'s `jwtVerify` in this process), per
 * algorithm: what a client that sends a new token on every request costs.
 *
 * Connections: 32 (`E2RX_BENCH_CONNECTIONS`); `E2RX_BENCH_ROUNDS` rounds (default 2) of `E2RX_BENCH_SECONDS` (default
 * 5) after a 2-second warm-up, servers in turn; medians compared.
 *
 * Run: npm run build && npm run bench -- http-auth   (about 2 minutes)
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportSPKI, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { e2rxServer, ECHO_BODY, writeEchoApp, type Contender } from './echo-app.js';
import { autocannon, median, type LoadResult } from './load.js';

const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 2);
const SECONDS = Number(process.env['E2RX_BENCH_SECONDS'] ?? 5);
const CONNECTIONS = (process.env['E2RX_BENCH_CONNECTIONS'] ?? '32').split(',').map(Number);

const SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';
const CLAIMS = { iss: 'https://issuer.bench', aud: 'bench-api', sub: 'ada', scope: 'echo' };
const API_KEY = 'bench-api-key-6f1c2a9e';

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time a process (all its threads) has used, in microseconds, from /proc/<pid>/stat (utime + stime). */
function cpuMicros(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid ?? 0}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // Fields 14 and 15 of stat (utime, stime), counted from after the command name: 12 and 13; clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** One measured run: the load's figures and the server's CPU time per 2xx answer. */
interface Measured extends LoadResult {
  readonly cpuPerRequest: number;
}

/** A contender with the headers its requests carry. */
interface Case {
  readonly contender: Contender;
  readonly headers: Readonly<Record<string, string>>;
}

async function token(alg: string, key: Parameters<SignJWT['sign']>[0]): Promise<string> {
  return new SignJWT(CLAIMS).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime('2h').sign(key);
}

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-auth-'));
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const jwt = (key: string): string => `auth:\n  jwt: { ${key}, issuer: "${CLAIMS.iss}", audience: ${CLAIMS.aud} }\n`;
  // env(VAR) values are read from the environment e2rx starts with: the benchmark's own (a child inherits it).
  process.env['BENCH_JWT_SECRET'] = SECRET;
  process.env['BENCH_RSA_PUBLIC_KEY'] = await exportSPKI(rsa.publicKey);
  process.env['BENCH_EC_PUBLIC_KEY'] = await exportSPKI(ec.publicKey);
  process.env['BENCH_API_KEY'] = API_KEY;
  const app = async (name: string, extra: string): Promise<string> => {
    const path = join(dir, name);
    await writeEchoApp(path, extra);
    return path;
  };
  const bearer = (value: string): Record<string, string> => ({ authorization: `Bearer ${value}` });
  const hs256 = bearer(await token('HS256', new TextEncoder().encode(SECRET)));
  const none = await app('none', '');
  const cases: Case[] = [
    { contender: e2rxServer('no auth (baseline)', none), headers: {} },
    // The control: the same bytes on the wire as the HS256 row, no auth: what parsing the longer request costs.
    { contender: e2rxServer('no auth, token sent anyway', none), headers: hs256 },
    {
      contender: e2rxServer('JWT HS256 (secret)', await app('hs256', jwt('secret: env(BENCH_JWT_SECRET)'))),
      headers: hs256,
    },
    {
      contender: e2rxServer('JWT RS256 (public key)', await app('rs256', jwt('publicKey: env(BENCH_RSA_PUBLIC_KEY)'))),
      headers: bearer(await token('RS256', rsa.privateKey)),
    },
    {
      contender: e2rxServer('JWT ES256 (public key)', await app('es256', jwt('publicKey: env(BENCH_EC_PUBLIC_KEY)'))),
      headers: bearer(await token('ES256', ec.privateKey)),
    },
    {
      contender: e2rxServer('API key', await app('api-key', 'auth:\n  apiKeys: { keys: { bench: env(BENCH_API_KEY) } }\n')),
      headers: { 'x-api-key': API_KEY },
    },
  ];

  const results = new Map<string, Measured[]>();
  let port = 18_700;
  try {
    for (const connections of CONNECTIONS) {
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const { contender, headers } of cases) {
          port += 1;
          const server = await contender.start(port);
          try {
            const url = `http://127.0.0.1:${port}${contender.path}`;
            await autocannon({ url, connections, seconds: 2, body: ECHO_BODY, headers });
            const before = cpuMicros(server.child.pid);
            const result = await autocannon({ url, connections, seconds: SECONDS, body: ECHO_BODY, headers });
            const cpu = cpuMicros(server.child.pid) - before;
            if (result.non2xx + result.errors > 0) throw new Error(`${contender.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
            const key = `${contender.name}|${connections}`;
            results.set(key, [...(results.get(key) ?? []), { ...result, cpuPerRequest: cpu / (result.ok * SECONDS) }]);
          } finally {
            await server.stop();
          }
          await settle(500);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}; ${ROUNDS} rounds of ${SECONDS} s, medians`);
  console.log(`load average when done: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log(
    `${'e2rx start, POST /echo'.padEnd(30)} ${'conns'.padStart(5)} ${'2xx/s'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU us/req'.padStart(10)}  ratio to no auth (2xx/s, CPU per request)`,
  );
  for (const connections of CONNECTIONS) {
    const stat = (name: string) => {
      const runs = results.get(`${name}|${connections}`) ?? [];
      const of = (pick: (run: Measured) => number): number => median(runs.map(pick));
      return { ok: of((r) => r.ok), p50: of((r) => r.p50), p99: of((r) => r.p99), cpu: of((r) => r.cpuPerRequest) };
    };
    const base = stat(cases[0]?.contender.name ?? '');
    for (const { contender } of cases) {
      const s = stat(contender.name);
      console.log(
        `${contender.name.padEnd(30)} ${String(connections).padStart(5)} ${s.ok.toFixed(0).padStart(9)} ${s.p50.toFixed(1).padStart(7)} ${s.p99.toFixed(1).padStart(7)} ${s.cpu.toFixed(1).padStart(10)}  x${(s.ok / base.ok).toFixed(2)}, x${(s.cpu / base.cpu).toFixed(2)} (+${(s.cpu - base.cpu).toFixed(1)} us)`,
      );
    }
  }
  const first = [
    { alg: 'HS256', sign: new TextEncoder().encode(SECRET), verify: new TextEncoder().encode(SECRET) },
    { alg: 'RS256', sign: rsa.privateKey, verify: rsa.publicKey },
    { alg: 'ES256', sign: ec.privateKey, verify: ec.publicKey },
  ];
  for (const { alg, sign, verify } of first) console.log(`a token seen for the first time, ${alg}: ${(await verifyCost(await token(alg, sign), verify)).toFixed(1)} us of CPU to verify`);
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

/** Microseconds per `jwtVerify` of `jwt` (the work of a cache miss), after a warm-up. */
async function verifyCost(jwt: string, key: CryptoKey | Uint8Array): Promise<number> {
  const options = { issuer: CLAIMS.iss, audience: CLAIMS.aud, requiredClaims: ['exp'] };
  for (let i = 0; i < 1_000; i += 1) await jwtVerify(jwt, key, options);
  const count = 5_000;
  const begin = performance.now();
  for (let i = 0; i < count; i += 1) await jwtVerify(jwt, key, options);
  return ((performance.now() - begin) * 1000) / count;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
