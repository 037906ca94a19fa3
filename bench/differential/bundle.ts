/**
 * The bundle of the differential run: Suborbital's own test modules, read at run time from a local mirror of
 * suborbital/reactr (the Wasm runtime Atmo v0.4.7 linked, v0.15.x: its `engine/testdata` holds the TinyGo, Rust and
 * AssemblyScript modules its tests ran), with a Directive written here that gives each module one or two routes.
 * Nothing of Suborbital's is committed: the modules and `static/important.md` are read with `git show` from the
 * mirror into the bundle, which is written to a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';

/** Where the Suborbital mirrors are looked for (`<root>/suborbital+reactr/repo`, a bare git directory). */
export const DEFAULT_MIRRORS = process.env['E2RX_SUBORBITAL_MIRRORS'] ?? '/work/.mirror';

/** The reactr tag whose `engine/testdata` the bundle is built from (v0.15.2: the first with `tinygo-resp`). */
export const REACTR_REF = 'v0.15.2';

/** The modules the bundle carries, by name (`engine/testdata/<name>/<name>.wasm` in the mirror). */
export const MODULES = [
  'tinygo-req',
  'tinygo-hello-echo',
  'hello-echo',
  'as-echo',
  'tinygo-urlquery',
  'rust-urlquery',
  'tinygo-resp',
  'content-type',
  'tinygo-cache',
  'as-set',
  'as-get',
  'rust-set',
  'rust-get',
  'get-static',
  'tinygo-get-static',
  'as-fetch',
  'tinygo-http-get',
  'return-err',
  'log',
  'as-req',
  'rs-reqset',
] as const;

/** The Directive of the bundle: one route per module (two for the routing and cache modules). */
export const DIRECTIVE = `identifier: com.e2rx.differential
appVersion: v0.1.0
atmoVersion: v0.4.7
runnables:
${MODULES.map((name) => `  - name: ${name}\n    namespace: default\n    lang: ${languageOf(name)}\n`).join('')}handlers:
${[
  ['GET', '/tinygo/req/:foobar', 'tinygo-req'],
  ['DELETE', '/tinygo/req/:foobar', 'tinygo-req'],
  ['GET', '/files/*path', 'tinygo-req'],
  ['POST', '/hello/tinygo', 'tinygo-hello-echo'],
  ['POST', '/hello/rust', 'hello-echo'],
  ['POST', '/hello/as', 'as-echo'],
  ['GET', '/query/tinygo', 'tinygo-urlquery'],
  ['GET', '/query/rust', 'rust-urlquery'],
  ['POST', '/resp/tinygo', 'tinygo-resp'],
  ['POST', '/content-type', 'content-type'],
  ['POST', '/cache/tinygo', 'tinygo-cache'],
  ['POST', '/cache/as', 'as-set'],
  ['GET', '/cache/as', 'as-get'],
  ['POST', '/cache/rust', 'rust-set'],
  ['GET', '/cache/rust', 'rust-get'],
  ['POST', '/static/rust', 'get-static'],
  ['GET', '/static/tinygo', 'tinygo-get-static'],
  ['POST', '/fetch/as', 'as-fetch'],
  ['POST', '/fetch/tinygo', 'tinygo-http-get'],
  ['GET', '/err', 'return-err'],
  ['GET', '/reqset', 'rs-reqset'],
]
  .map(([method, resource, fn]) => `  - type: request\n    resource: ${resource}\n    method: ${method}\n    steps:\n      - fn: ${fn}\n`)
  .join('')}  - type: request
    resource: /log
    method: POST
    steps:
      - fn: hello-echo
        as: hello
      - fn: log
  - type: request
    resource: /as/req
    method: POST
    steps:
      - fn: as-echo
        as: hello
      - fn: as-req
`;

/** Static files written here (beside reactr's `important.md`), to probe how file names are normalised. */
export const EXTRA_STATIC: Readonly<Record<string, string>> = {
  'sub/nested.txt': 'a nested file\n',
  'static/inner.txt': 'a file under static/static\n',
  'with space.txt': 'a name with a space\n',
  'café.txt': 'a name with a non-ASCII letter\n',
  '.hidden': 'a dot file\n',
};

/** The routes of the bundle, as `[method, resource]` pairs (for the corpus). */
export function bundleRoutes(): readonly (readonly [string, string])[] {
  const routes: [string, string][] = [];
  const pattern = /resource: (\S+)\n {4}method: (\S+)/g;
  for (let match = pattern.exec(DIRECTIVE); match !== null; match = pattern.exec(DIRECTIVE)) routes.push([match[2] as string, match[1] as string]);
  return routes;
}

/** The git directory of a mirror (`<root>/<owner>+<name>/repo` or the directory itself), or undefined. */
export function mirrorGitDir(root: string, repo: string): string | undefined {
  for (const candidate of [join(root, repo, 'repo'), join(root, repo)]) {
    if (existsSync(join(candidate, 'HEAD'))) return candidate;
  }
  return undefined;
}

/** `git show <ref>:<path>` of a mirror, as bytes. */
function gitShow(gitDir: string, ref: string, path: string): Uint8Array {
  return execFileSync('git', ['--git-dir', gitDir, 'show', `${ref}:${path}`], { maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Builds `runnables.wasm.zip` into `dir` from the reactr mirror under `mirrors` and returns its path. Throws when the
 * mirror is missing (the message says how to get it).
 */
export async function buildBundle(dir: string, mirrors = DEFAULT_MIRRORS): Promise<string> {
  const gitDir = mirrorGitDir(mirrors, 'suborbital+reactr');
  if (gitDir === undefined) {
    throw new Error(`no mirror of suborbital/reactr under ${mirrors} (set E2RX_SUBORBITAL_MIRRORS to the directory holding suborbital+reactr)`);
  }
  const files: Record<string, Uint8Array> = { 'Directive.yaml': new TextEncoder().encode(DIRECTIVE) };
  for (const name of MODULES) files[`${name}.wasm`] = gitShow(gitDir, REACTR_REF, `engine/testdata/${name}/${name}.wasm`);
  files['static/important.md'] = gitShow(gitDir, REACTR_REF, 'engine/testdata/static/important.md');
  for (const [name, text] of Object.entries(EXTRA_STATIC)) files[`static/${name}`] = new TextEncoder().encode(text);
  const path = join(dir, 'runnables.wasm.zip');
  await writeFile(path, zipSync(files));
  return path;
}

/** The `lang` subo wrote for a module name. */
function languageOf(name: string): string {
  if (name.startsWith('tinygo-')) return 'tinygo';
  if (name.startsWith('as-')) return 'assemblyscript';
  return 'rust';
}
