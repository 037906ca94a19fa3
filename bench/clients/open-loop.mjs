// An open-loop HTTP load generator for the benchmarks: sends requests at a fixed rate whether or not earlier ones
// were answered (as independent users do), over keep-alive connections opened as needed, up to a cap of requests
// outstanding. Latency is counted from when a request was due, not when it could be sent, so a server that stalls
// the generator is not flattered (no coordinated omission).
//
// Usage: node bench/clients/open-loop.mjs '<options as JSON>' — options: url, rate (requests/s), seconds, body,
// method (default POST), maxOutstanding (default 8192), preconnect (keep-alive connections opened before the run,
// with GET preconnectPath, default /health). Prints one JSON report on stdout: sent, by status, errors,
// skipped (due while maxOutstanding were outstanding), connections opened during the run, 2xx latency p50/p99/max (ms), refusal latency p99, whether
// every 503 carried Retry-After; 2xx latency from the actual send, and the generator's send lag (p50/p99/max).
import { Agent, request } from 'node:http';

const options = JSON.parse(process.argv[2] ?? '{}');
const url = new URL(options.url);
const rate = Number(options.rate);
const seconds = Number(options.seconds);
const maxOutstanding = Number(options.maxOutstanding ?? 8192);
const body = Buffer.from(options.body ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: maxOutstanding, maxFreeSockets: maxOutstanding, scheduling: 'fifo' });
// Connections opened once the run has started (after the preconnect): each is a handshake under load.
let running = false;
let openedDuringRun = 0;
const createConnection = agent.createConnection.bind(agent);
agent.createConnection = (...args) => {
  if (running) openedDuringRun += 1;
  return createConnection(...args);
};

const statuses = new Map();
const okLatencies = [];
// From when each request was actually written (the generator's own lag left out), and that lag itself: on a small
// machine the generator competes with the server for CPU, and its lateness would otherwise count against the server.
const okFromSend = [];
const sendLags = [];
const refusedLatencies = [];
let sent = 0;
let errors = 0;
let skipped = 0;
let outstanding = 0;
let retryAfterMissing = 0;
let start = performance.now();
let end = start + seconds * 1000;

function send(due) {
  outstanding += 1;
  sent += 1;
  const at = performance.now();
  sendLags.push(at - due);
  const req = request(
    { agent, host: url.hostname, port: url.port, path: url.pathname, method: options.method ?? 'POST', headers: { 'content-length': body.length } },
    (res) => {
      res.resume();
      res.once('end', () => {
        outstanding -= 1;
        const latency = performance.now() - due;
        const status = res.statusCode ?? 0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 200 && status < 300) {
          okLatencies.push(latency);
          okFromSend.push(performance.now() - at);
        }
        else if (status === 503) {
          refusedLatencies.push(latency);
          if (res.headers['retry-after'] === undefined) retryAfterMissing += 1;
        }
      });
    },
  );
  req.once('error', () => {
    outstanding -= 1;
    errors += 1;
  });
  req.end(body);
}

function tick() {
  const now = performance.now();
  const until = Math.min(now, end);
  const due = Math.floor(((until - start) / 1000) * rate);
  const interval = 1000 / rate;
  while (sent + skipped < due) {
    const at = start + (sent + skipped) * interval;
    if (outstanding >= maxOutstanding) skipped += 1;
    else send(at);
  }
  if (now < end) setTimeout(tick, 1);
  else finish();
}

function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function finish() {
  const wait = setInterval(() => {
    if (outstanding > 0 && performance.now() < end + 120_000) return;
    clearInterval(wait);
    agent.destroy();
    const report = {
      seconds,
      rate,
      sent,
      skipped,
      errors,
      outstandingAtEnd: outstanding,
      openedDuringRun,
      statuses: Object.fromEntries(statuses),
      ok: { count: okLatencies.length, p50: percentile(okLatencies, 50), p99: percentile(okLatencies, 99), max: percentile(okLatencies, 100) },
      refused: { count: refusedLatencies.length, p99: percentile(refusedLatencies, 99), retryAfterMissing },
      okFromSend: { p50: percentile(okFromSend, 50), p99: percentile(okFromSend, 99) },
      sendLag: { p50: percentile(sendLags, 50), p99: percentile(sendLags, 99), max: percentile(sendLags, 100) },
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }, 50);
}

/**
 * Opens `count` keep-alive connections before the run (GET `path`, 512 at a time), so that the run measures the server
 * with its clients connected rather than a storm of new connections, whose SYNs a busy server's accept queue drops.
 * Each request is held open (its end not written) until all are open: a socket freed after its answer would be taken
 * by the next batch, so that only 512 connections were opened and the run opened the rest under the overload (whose
 * SYNs, dropped by the full accept queue and retried after 1, 3, 7, 15 s, were the 28 s tail of the accepted p99).
 */
async function preconnect(count, path) {
  const held = [];
  for (let opened = 0; opened < count; opened += 512) {
    const batch = Math.min(512, count - opened);
    await Promise.all(
      Array.from({ length: batch }, () =>
        new Promise((resolve) => {
          const req = request({ agent, host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
            res.resume();
            res.once('end', resolve);
          });
          req.once('error', resolve);
          req.flushHeaders();
          held.push(req);
        }),
      ),
    );
  }
  for (const req of held) req.end();
  // The sockets go back to the pool once their requests have ended.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

if (options.preconnect) await preconnect(Number(options.preconnect), options.preconnectPath ?? '/health');
running = true;
start = performance.now();
end = start + seconds * 1000;
tick();
