import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/app/index.js';
import { buildApp } from '../../../src/build/build-app.js';
import { appSlug, createApp, e2rxDependency, e2rxPackageDir, fillTemplate, goSdkReplacement, initCommand, initLanguage } from '../../../src/cli/commands/init.js';
import { runGo } from '../../../src/build/go-toolchain.js';
import { describeWithGo, goToolchain } from '../../support/go.js';
import { createEngine } from '../../../src/engine/engine.js';
import { runCaseFile } from '../../../src/testing/cases/run-cases.js';
import { captureIo, cleanupApps, makeTempDir } from '../../support/apps.js';

afterAll(cleanupApps);

const EXPECTED_FILES = [
  '.gitignore',
  'Directive.test.yaml',
  'Directive.yaml',
  'README.md',
  'hello/index.ts',
  'hello/tsconfig.json',
  'package.json',
  'tests/hello.spec.ts',
  'vitest.config.ts',
];

async function runInit(cwd: string, positionals: string[], values: Record<string, string> = {}) {
  const io = captureIo({ cwd });
  const code = await initCommand.run({ values, positionals }, io);
  return { code, out: io.out(), err: io.err() };
}

describe('init command', () => {
  it('init - creates the app files in a new directory and prints the next steps', async () => {
    const cwd = await makeTempDir();
    const { code, out, err } = await runInit(cwd, ['my-app']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('created my-app:\n  .gitignore\n  Directive.test.yaml\n  Directive.yaml\n');
    expect(out).toContain('  cd my-app\n  npm install          # e2rx (linked from ');
    for (const file of EXPECTED_FILES) expect(existsSync(join(cwd, 'my-app', file)), file).toBe(true);
  });

  it('init - writes a Directive with identifier com.example.<dir>, v0.1.0, atmo v0.4.7 and POST /hello', async () => {
    const cwd = await makeTempDir();
    await runInit(cwd, ['shop']);
    const directive = await readFile(join(cwd, 'shop', 'Directive.yaml'), 'utf8');
    expect(directive).toContain('identifier: com.example.shop\n');
    expect(directive).toContain('appVersion: v0.1.0\n');
    expect(directive).toContain('atmoVersion: v0.4.7\n');
    expect(directive).toMatch(/resource: \/hello\n\s+method: POST\n\s+steps:\n\s+- fn: hello\n/);
    expect(directive).not.toContain('{{');
  });

  it('init - fills package.json with the app name and the versions', async () => {
    const cwd = await makeTempDir();
    await runInit(cwd, ['My_App']);
    const pkg = JSON.parse(await readFile(join(cwd, 'My_App', 'package.json'), 'utf8')) as {
      name: string;
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.name).toBe('my-app');
    expect(pkg.scripts).toMatchObject({ build: 'e2rx build', start: 'exec e2rx start', test: 'vitest run', 'test:cases': 'e2rx test' });
    // e2rx is not on npm: an app created from a checkout links it; the SDK comes inside e2rx, so it is not listed.
    expect(pkg.devDependencies['e2rx']).toBe(`file:${e2rxPackageDir()}`);
    expect(pkg.devDependencies['@e2rx/sdk-assemblyscript']).toBeUndefined();
    expect(pkg.devDependencies['assemblyscript']).toMatch(/^\^0\.28\.\d+$/);
  });

  it('init - accepts an existing empty directory', async () => {
    const cwd = await makeTempDir();
    await mkdir(join(cwd, 'empty'));
    expect((await runInit(cwd, ['empty'])).code).toBe(0);
  });

  it('init - refuses a directory that is not empty, and writes nothing', async () => {
    const cwd = await makeTempDir();
    await mkdir(join(cwd, 'taken'));
    await writeFile(join(cwd, 'taken', 'notes.txt'), 'mine');
    const { code, err } = await runInit(cwd, ['taken']);
    expect(code).toBe(1);
    expect(err).toMatch(/^e2rx: .*taken is not empty \(it holds notes\.txt\); init creates an app in a new or empty directory\nhint: /);
    expect(existsSync(join(cwd, 'taken', 'Directive.yaml'))).toBe(false);
  });

  it('init - refuses a path that is a file', async () => {
    const cwd = await makeTempDir();
    await writeFile(join(cwd, 'file'), 'x');
    const { code, err } = await runInit(cwd, ['file']);
    expect(code).toBe(1);
    expect(err).toMatch(/exists and is not a directory/);
  });

  it('init - without a directory prints the usage and exits 2', async () => {
    const { code, err } = await runInit(await makeTempDir(), []);
    expect(code).toBe(2);
    expect(err).toContain('Usage: e2rx init <dir>');
  });

  it('init - the created app builds, loads, and answers POST /hello with hello <body>', async () => {
    const dir = join(await makeTempDir(), 'greeter');
    await createApp(dir);
    const report = await buildApp(dir);
    expect(report.ok, JSON.stringify(report.functions)).toBe(true);
    const app = await loadApp(dir);
    expect([...app.functions.keys()]).toEqual(['com.example.greeter#default::hello@v0.1.0']);
    const engine = createEngine({ app, port: 0, host: '127.0.0.1', logger: (await import('pino')).pino({ level: 'silent' }) });
    try {
      const port = await engine.start();
      const response = await fetch(`http://127.0.0.1:${port}/hello`, { method: 'POST', body: 'world' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('hello world');
    } finally {
      await engine.stop();
    }
    // Its e2rx test case passes as scaffolded.
    expect(await runCaseFile(app, { cwd: dir, appDir: dir, env: {} })).toMatchObject({ passed: 1, failed: 0 });
  });

  it('e2rxDependency - file:<dir> for a checkout, ^<version> for an e2rx installed in node_modules', () => {
    expect(e2rxDependency('/home/ada/e2rx', '1.2.3')).toBe('file:/home/ada/e2rx');
    expect(e2rxDependency('/home/ada/app/node_modules/e2rx', '1.2.3')).toBe('^1.2.3');
    expect(e2rxDependency('/home/ada/.npm/_npx/0a1b/node_modules/e2rx', '1.2.3')).toBe('^1.2.3');
  });

  it('appSlug - makes a lower-case dashed name', () => {
    expect(appSlug('My App_2')).toBe('my-app-2');
    expect(appSlug('--')).toBe('app');
    expect(appSlug('shop')).toBe('shop');
  });

  it('fillTemplate - replaces known keys and keeps unknown ones', () => {
    const values = { name: 'n', identifier: 'com.example.n', e2rxVersion: '1', e2rxDependency: 'file:/e2rx', sdkVersion: '2', ascVersion: '3', goSdk: '/e2rx/sdk/go' };
    expect(fillTemplate('{{name}} {{identifier}} {{other}}', values)).toBe('n com.example.n {{other}}');
  });
});

const EXPECTED_GO_FILES = ['.gitignore', 'Directive.test.yaml', 'Directive.yaml', 'README.md', 'hello/go.mod', 'hello/main.go', 'hello/main_test.go', 'package.json', 'tests/hello.spec.ts', 'vitest.config.ts'];

describe('init command with --lang go', () => {
  it('init --lang go - creates a Go app and prints the next steps, Go included', async () => {
    const cwd = await makeTempDir();
    const { code, out, err } = await runInit(cwd, ['my-go-app'], { lang: 'go' });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe(
      [
        'created my-go-app:',
        ...EXPECTED_GO_FILES.map((file) => `  ${file}`),
        '',
        'next:',
        '  cd my-go-app',
        `  npm install          # e2rx (linked from ${e2rxPackageDir()}), vitest`,
        '  npm run build        # e2rx build: hello/ (Go) -> hello.wasm, with your Go (1.24 or later)',
        '  npm start            # exec e2rx start: serves http://localhost:8080 until SIGTERM or Ctrl-C',
        "  curl -d 'world' http://localhost:8080/hello",
        '  npm test             # go test in hello/, then vitest: builds the app, starts it, calls POST /hello',
        '',
      ].join('\n'),
    );
  });

  it('init --lang go - the Directive says lang go; go.mod requires the SDK from this checkout; package.json has no AssemblyScript', async () => {
    const cwd = await makeTempDir();
    await runInit(cwd, ['shop'], { lang: 'go' });
    const directive = await readFile(join(cwd, 'shop', 'Directive.yaml'), 'utf8');
    expect(directive).toContain('identifier: com.example.shop\n');
    expect(directive).toMatch(/- name: hello\n\s+namespace: default\n\s+lang: go\n/);
    const goMod = await readFile(join(cwd, 'shop', 'hello', 'go.mod'), 'utf8');
    expect(goMod).toMatch(/^module shop\/hello\n\ngo 1\.24\n\nrequire e2rx v0\.0\.0\n/);
    expect(goMod).toContain(`replace e2rx => ${join(e2rxPackageDir(), 'sdk', 'go')}\n`);
    const pkg = JSON.parse(await readFile(join(cwd, 'shop', 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.scripts).toEqual({ build: 'e2rx build', bundle: 'e2rx build --bundle', start: 'exec e2rx start', test: 'go -C hello test ./... && vitest run', 'test:cases': 'e2rx test' });
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(['e2rx', 'vitest']);
    for (const file of EXPECTED_GO_FILES) expect(await readFile(join(cwd, 'shop', file), 'utf8'), file).not.toContain('{{');
  });

  it('init --lang - an unknown language is refused with the ones it knows, and nothing is written', async () => {
    const cwd = await makeTempDir();
    const { code, err } = await runInit(cwd, ['app'], { lang: 'cobol' });
    expect(code).toBe(1);
    expect(err).toBe("e2rx: language 'cobol' is not one init knows\nhint: use --lang assemblyscript or --lang go\n");
    expect(existsSync(join(cwd, 'app'))).toBe(false);
  });

  it('initLanguage - assemblyscript by default, any case', () => {
    expect(initLanguage(undefined)).toBe('assemblyscript');
    expect(initLanguage('Go')).toBe('go');
    expect(initLanguage('assemblyscript')).toBe('assemblyscript');
  });

  it('goSdkReplacement - the checkout\'s sdk/go, or the one npm install puts in the app', () => {
    expect(goSdkReplacement('/home/ada/e2rx')).toBe('/home/ada/e2rx/sdk/go');
    expect(goSdkReplacement('/home/ada/app/node_modules/e2rx')).toBe('../node_modules/e2rx/sdk/go');
  });

  it('init --lang go - declares its option for help', () => {
    expect(initCommand.options['lang']).toMatchObject({ type: 'string', short: 'l' });
  });
});

describeWithGo('the app init --lang go creates', () => {
  it('init --lang go - the created app builds, loads, and answers POST /hello with hello <body>', async () => {
    const dir = join(await makeTempDir(), 'greeter');
    await createApp(dir, { lang: 'go' });
    const report = await buildApp(dir);
    expect(report.ok, JSON.stringify(report.functions)).toBe(true);
    const app = await loadApp(dir);
    expect([...app.functions.keys()]).toEqual(['com.example.greeter#default::hello@v0.1.0']);
    const engine = createEngine({ app, port: 0, host: '127.0.0.1', logger: (await import('pino')).pino({ level: 'silent' }) });
    try {
      const port = await engine.start();
      const response = await fetch(`http://127.0.0.1:${port}/hello`, { method: 'POST', body: 'world' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('hello world');
    } finally {
      await engine.stop();
    }
    expect(await runCaseFile(app, { cwd: dir, appDir: dir, env: {} })).toMatchObject({ passed: 1, failed: 0 });
  }, 120_000);

  it('init --lang go - the function\'s own Go test passes (go test in hello/)', async () => {
    const dir = join(await makeTempDir(), 'tested');
    await createApp(dir, { lang: 'go' });
    const go = goToolchain();
    const run = await runGo(go.command, ['-C', 'hello', 'test', './...'], { cwd: dir, env: go.env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ok\s+tested\/hello\s/);
  }, 120_000);
});

describe('init - an app inside another project', () => {
  it("init - the app's test runs with the app's own vitest settings, not those of a project around it (the e2rx checkout)", async () => {
    const { execFile } = await import('node:child_process');
    const { symlink } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const outer = await makeTempDir();
    // A project around the app whose vitest settings cannot work for it (as e2rx's own cannot).
    await writeFile(join(outer, 'vitest.config.mjs'), "export default { test: { reporters: ['./no-such-reporter.ts'] } };\n");
    await runInit(outer, ['my-app']);
    const app = join(outer, 'my-app');
    await mkdir(join(app, 'node_modules'));
    for (const [name, target] of [['e2rx', root], ['vitest', join(root, 'node_modules/vitest')]] as const) await symlink(target, join(app, 'node_modules', name));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$)/.test(name)));
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run'], { cwd: app, env: { ...env, CI: '1', NO_COLOR: '1' }, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? 1 : 0, output: `${stdout}${stderr}` }),
      );
    });
    expect(result.output).toMatch(/Tests\s+1 passed/);
    expect(result.code, result.output).toBe(0);
  }, 120_000);
});
