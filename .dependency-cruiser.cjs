/**
 * Import rules for src/, checked by `npm test` (scripts/test.sh runs `npx depcruise src`).
 *
 * 1. No import cycles, between files or between folders.
 * 2. The layers, from the bottom up: each folder names the folders it may import. A folder not in the table may
 *    import nothing of src/. A new edge that is not written here fails the check: add it here only if it points down.
 *
 *    base         errors.ts, lazy-module.ts, logging/: used by everyone
 *    directive/   YAML to a validated Directive (and the capability config it declares; each handler kind's keys)
 *    app/         loading an app's files
 *    flow/        flow control: the gate, in-order admission, in-flight work, offsets, backoff, the retry and give-up
 *                 policies, the working heartbeat; no I/O
 *    connections/ clients of every external service: NATS (and JetStream, with its provisioning), Kafka, Redis, SQL
 *    capabilities/ the guest capabilities (host functions' services), over the connections
 *    runtime/     WebAssembly execution
 *    steps/       the Directive's steps as operators over a function runner
 *    messages/    the shapes of messages between sources, steps and sinks (the jobs sources emit, requests, headers)
 *    server/      the HTTP server
 *    telemetry/   OpenTelemetry traces and the metrics export, loaded only when configured
 *    sources/     where messages come from (HTTP, websocket, schedule, NATS, JetStream, Kafka)
 *    sinks/       where results go (HTTP, websocket, NATS, Kafka)
 *    handlers/    one module per handler kind (its planning and its pipeline), the registry, a handler's run
 *    engine/      Directive to plan (compile), and the engine that starts, drains and stops the pipelines
 *    testing/     the public marble-test kit, and the runner of `e2rx test` cases (testing/cases/)
 *    build/, cli/ the tools
 */
const base = ['errors.ts', 'lazy-module.ts', 'logging'];
/** @type {Record<string, string[]>} folder: the folders (and top-level files) it may import */
const allowed = {
  logging: ['lazy-module.ts'],
  directive: ['errors.ts', 'lazy-module.ts'],
  app: [...base, 'directive'],
  flow: [],
  connections: [...base, 'directive', 'flow'],
  capabilities: [...base, 'directive', 'app', 'connections'],
  runtime: [...base, 'directive', 'capabilities'],
  steps: [...base, 'directive', 'runtime'],
  messages: [...base, 'connections', 'runtime', 'steps'],
  server: [...base, 'directive', 'runtime'],
  sources: [...base, 'directive', 'flow', 'connections', 'runtime', 'messages', 'server'],
  telemetry: [...base, 'directive', 'capabilities', 'runtime', 'steps', 'messages'],
  sinks: [...base, 'connections', 'runtime', 'messages', 'server', 'sources', 'steps', 'telemetry'],
  handlers: [...base, 'directive', 'flow', 'connections', 'runtime', 'steps', 'messages', 'server', 'sources', 'sinks', 'telemetry'],
  engine: [...base, 'directive', 'app', 'flow', 'connections', 'capabilities', 'runtime', 'steps', 'server', 'sinks', 'handlers', 'telemetry'],
  // The stream side of the public API, gathered for src/index.ts.
  streams: ['connections', 'flow', 'messages', 'sources', 'sinks', 'handlers'],
  testing: [...base, 'directive', 'app', 'flow', 'connections', 'capabilities', 'runtime', 'steps', 'messages', 'sources', 'sinks', 'handlers', 'engine'],
  build: [...base, 'app', 'runtime'],
  cli: [...base, 'directive', 'app', 'build', 'engine', 'testing'],
};

const escape = (name) => name.replace(/[.]/g, '\\.');
const target = (name) => (name.endsWith('.ts') ? `^src/${escape(name)}$` : `^src/${name}/`);

module.exports = {
  forbidden: [
    { name: 'no-file-cycle', severity: 'error', comment: 'import cycles between files', from: {}, to: { circular: true } },
    { name: 'no-folder-cycle', severity: 'error', comment: 'import cycles between folders', scope: 'folder', from: { path: '^src/' }, to: { circular: true } },
    ...Object.entries(allowed).map(([folder, deps]) => ({
      name: `layer-${folder}`,
      severity: 'error',
      comment: `${folder}/ may import only ${deps.length ? deps.join(', ') : 'nothing of src/'} (see the layers above)`,
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: [`^src/${folder}/`, '^src/types/', ...deps.map(target)] },
    })),
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.d.ts'] },
  },
};
