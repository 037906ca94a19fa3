/**
 * A seeded generator of mutated Directives, for the validator's fuzz spec: every variant is a hostile or careless
 * edit of a real Directive (an example app's or a fixture's). The same seed gives the same variants, so a failure
 * is reproduced by its seed and index.
 *
 * Two kinds of mutation are mixed, one to three per variant:
 * - on the parsed value (re-serialised as YAML): deleted keys, renamed keys, values of another type, huge strings,
 *   unicode and NUL bytes in values and keys, deep nesting, lists repeated hundreds of times;
 * - on the text: YAML alias bombs (anchors of anchors, merge keys), deep flow nesting, NUL bytes, unicode (BOM,
 *   right-to-left overrides, lone surrogates, emoji), random YAML punctuation, truncation, tags, extra documents.
 *
 * @example
 * ```ts
 * for (const variant of mutatedDirectives([text], { count: 100, seed: 1 })) parseDirective(variant.text);
 * ```
 */
import { isMap, isScalar, isSeq, parseDocument, stringify, type Node } from 'yaml';

/** A small deterministic pseudo-random source (mulberry32). */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, bound). */
  int(bound: number): number;
  /** One of `items`. */
  pick<T>(items: readonly T[]): T;
  /** `true` with probability `p`. */
  chance(p: number): boolean;
}

/** A seeded {@link Rng}. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (bound: number): number => Math.floor(next() * bound);
  return { next, int, pick: (items) => items[int(items.length)] as (typeof items)[number], chance: (p) => next() < p };
}

/** One mutated Directive: its text and the mutations that made it (to reproduce a failure). */
export interface Variant {
  readonly index: number;
  readonly seedName: string;
  readonly mutations: readonly string[];
  readonly text: string;
}

/** A seed Directive: a name for reports and its YAML text. */
export interface SeedDirective {
  readonly name: string;
  readonly text: string;
}

const UNICODE = ['\u202e', '\ufeff', '\ud800', '\udfff', '\u{1f600}', 'é', '\u0301', '\u200b', '\uffff', '\u2028', '中文', '\u0000', '\u0085'];
const PUNCTUATION = [':', '-', '[', ']', '{', '}', '&', '*', '!', '|', '>', '#', "'", '"', '%', '@', '`', '\t', '\n', ',', '?', ' ', '<<'];
const TAGS = ['!!binary', '!!set', '!!omap', '!!timestamp', '!!int', '!!float', '!!str', '!!map', '!!seq', '!custom', '!<tag:yaml.org,2002:str>'];
const KEY_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'specVersion', 'handler', 'Handlers', '', '0', 'a\u0000b', '\u202ekey'];

function hugeString(rng: Rng): string {
  const unit = rng.pick(['a', 'é', '\u{1f600}', '/x', 'env(', ':', '\u0000', '{{', '%']);
  // Mostly moderate, sometimes past the validator's size bound (1 MiB).
  return unit.repeat(rng.chance(0.02) ? rng.pick([300_000, 600_000]) : rng.pick([10, 100, 100, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 10_000]));
}

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 9 : 13)) {
    case 0:
      return 'abc';
    case 1:
      return rng.pick([0, -1, 1, 1.5, -0.5, 2 ** 53, 1e308, Number.NaN, Number.POSITIVE_INFINITY]);
    case 2:
      return rng.chance(0.5);
    case 3:
      return null;
    case 4:
      return '';
    case 5:
      return rng.pick(UNICODE).repeat(1 + rng.int(5));
    case 6:
      return hugeString(rng);
    case 7:
      return `x\u0000y${rng.pick(UNICODE)}`;
    case 8:
      return rng.pick(['/hello', 'GET', 'request', 'stream', 'nats', 'kafka', 'v1.0.0', 'hello', 'default::hello', 'env(X)', 'return', 'continue']);
    case 9:
      return [];
    case 10:
      return {};
    case 11:
      return Array.from({ length: 1 + rng.int(3) }, () => randomValue(rng, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: 1 + rng.int(3) }, () => [rng.pick([...KEY_NAMES, 'fn', 'steps', 'type', 'a']), randomValue(rng, depth + 1)]));
  }
}

type Container = Record<string, unknown> | unknown[];

/** Every object or array in `value` with the path to it (the root included). */
function containers(value: unknown, path: readonly (string | number)[] = [], found: { path: readonly (string | number)[]; node: Container }[] = []) {
  if (Array.isArray(value) || (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)) {
    found.push({ path, node: value as Container });
    for (const [key, child] of Object.entries(value)) containers(child, [...path, Array.isArray(value) ? Number(key) : key], found);
  }
  return found;
}

function nest(value: unknown, depth: number, asList: boolean): unknown {
  let result = value;
  for (let level = 0; level < depth; level += 1) result = asList ? [result] : { steps: result };
  return result;
}

/** A mutation of the parsed value; returns its label. */
type ValueMutation = (root: Record<string, unknown>, rng: Rng) => string;

const VALUE_MUTATIONS: readonly ValueMutation[] = [
  function deleteKey(root, rng) {
    const maps = containers(root).filter(({ node }) => !Array.isArray(node) && Object.keys(node).length > 0);
    const target = rng.pick(maps);
    const key = rng.pick(Object.keys(target.node));
    delete (target.node as Record<string, unknown>)[key];
    return `delete ${[...target.path, key].join('.')}`;
  },
  function swapType(root, rng) {
    const target = rng.pick(containers(root));
    const keys = Object.keys(target.node);
    if (keys.length === 0) return 'swap nothing';
    const key = rng.pick(keys);
    const value = randomValue(rng);
    if (Array.isArray(target.node)) target.node[Number(key)] = value;
    else target.node[key] = value;
    return `swap ${[...target.path, key].join('.')} to ${typeof value}${Array.isArray(value) ? ' list' : ''}`;
  },
  function renameKey(root, rng) {
    const maps = containers(root).filter(({ node }) => !Array.isArray(node) && Object.keys(node).length > 0);
    const target = rng.pick(maps);
    const node = target.node as Record<string, unknown>;
    const key = rng.pick(Object.keys(node));
    const renamed = rng.chance(0.3) ? hugeString(rng).slice(0, 5_000) : rng.pick([...KEY_NAMES, `${key}s`, key.toUpperCase(), `${key}\u0000`]);
    const value = node[key];
    delete node[key];
    Object.defineProperty(node, renamed, { value, enumerable: true, configurable: true, writable: true });
    return `rename ${[...target.path, key].join('.')}`;
  },
  function deepNest(root, rng) {
    const target = rng.pick(containers(root));
    const keys = Object.keys(target.node);
    if (keys.length === 0) return 'nest nothing';
    const key = rng.pick(keys);
    const depth = rng.pick([10, 40, 70, 200]);
    const asList = rng.chance(0.5);
    const value = nest((target.node as Record<string, unknown>)[key], depth, asList);
    if (Array.isArray(target.node)) target.node[Number(key)] = value;
    else target.node[key] = value;
    return `nest ${[...target.path, key].join('.')} ${depth} ${asList ? 'lists' : 'maps'}`;
  },
  function repeatItems(root, rng) {
    const lists = containers(root).filter(({ node }) => Array.isArray(node) && node.length > 0);
    if (lists.length === 0) return 'repeat nothing';
    const target = rng.pick(lists);
    const list = target.node as unknown[];
    const times = rng.chance(0.02) ? 1_000 : rng.pick([2, 5, 20]);
    const item: unknown = list[0];
    for (let index = 0; index < times; index += 1) list.push(structuredClone(item));
    return `repeat ${target.path.join('.')} x${times}`;
  },
];

/** A mutation of the YAML text; returns the new text and its label. */
type TextMutation = (text: string, rng: Rng) => [string, string];

const at = (text: string, rng: Rng): number => rng.int(text.length + 1);

function aliasBomb(rng: Rng): string {
  const width = rng.pick([2, 5, 9, 16]);
  const levels = rng.pick([4, 8, 12, 30]);
  const lines = [`b0: &b0 ${rng.chance(0.5) ? '[lol, lol]' : '{fn: hello}'}`];
  for (let level = 1; level <= levels; level += 1) {
    const refs = Array.from({ length: width }, () => `*b${level - 1}`).join(', ');
    lines.push(rng.chance(0.7) ? `b${level}: &b${level} [${refs}]` : `b${level}: &b${level} { <<: [${refs}], k${level}: v }`);
  }
  return lines.join('\n');
}

const TEXT_MUTATIONS: readonly TextMutation[] = [
  function aliasBombTopLevel(text, rng) {
    return [`${text}\n${aliasBomb(rng)}\n`, 'alias bomb at the top level'];
  },
  function aliasBombInHandlers(text, rng) {
    const bomb = aliasBomb(rng);
    const last = /^b(\d+):/gm;
    let top = '0';
    for (let match = last.exec(bomb); match; match = last.exec(bomb)) top = match[1] ?? top;
    const key = rng.pick(['handlers', 'runnables', 'schedules', 'queries', 'connections', 'capabilities']);
    const cleaned = text.replace(new RegExp(`^${key}:.*(?:\\n[ \\t-].*)*`, 'm'), '');
    return [`${bomb}\n${cleaned}\n${key}: *b${top}\n`, `alias bomb in ${key}`];
  },
  function mergeKeys(text, rng) {
    const position = at(text, rng);
    return [`base: &base {type: request, method: GET}\n${text.slice(0, position)}<<: *base\n${text.slice(position)}`, 'merge key'];
  },
  function deepFlow(text, rng) {
    const depth = rng.pick([20, 70, 500, 5_000, 200_000]);
    const open = rng.chance(0.5) ? '[' : '{a: ';
    const close = open === '[' ? ']' : '}';
    const position = at(text, rng);
    return [`${text.slice(0, position)}${open.repeat(depth)}${close.repeat(rng.chance(0.8) ? depth : depth - 1)}${text.slice(position)}`, `deep flow ${depth}`];
  },
  function deepBlock(text, rng) {
    const depth = rng.pick([20, 70, 300]);
    const lines = Array.from({ length: depth }, (_, level) => `${' '.repeat(level)}${rng.chance(0.5) ? '- ' : 'k:'}`).join('\n');
    return [`${text}\nhandlers:\n${lines}x\n`, `deep block ${depth}`];
  },
  function insertNul(text, rng) {
    const position = at(text, rng);
    return [`${text.slice(0, position)}\u0000${text.slice(position)}`, `NUL at ${position}`];
  },
  function insertUnicode(text, rng) {
    const position = at(text, rng);
    return [`${text.slice(0, position)}${rng.pick(UNICODE)}${text.slice(position)}`, `unicode at ${position}`];
  },
  function leadingBom(text) {
    return [`\ufeff${text}`, 'BOM'];
  },
  function punctuation(text, rng) {
    let result = text;
    const count = 1 + rng.int(4);
    for (let index = 0; index < count; index += 1) {
      const position = at(result, rng);
      result = `${result.slice(0, position)}${rng.pick(PUNCTUATION)}${result.slice(position + rng.int(2))}`;
    }
    return [result, `punctuation x${count}`];
  },
  function truncate(text, rng) {
    const position = at(text, rng);
    return [text.slice(0, position), `truncate at ${position}`];
  },
  function tag(text, rng) {
    const lines = text.split('\n');
    const index = rng.int(lines.length);
    lines[index] = (lines[index] ?? '').replace(/: /, `: ${rng.pick(TAGS)} `);
    return [lines.join('\n'), `tag on line ${index + 1}`];
  },
  function extraDocument(text) {
    return [`${text}\n---\nidentifier: other\n`, 'second document'];
  },
  function duplicateKey(text) {
    return [`${text}\nidentifier: again\n`, 'duplicate key'];
  },
  function complexKey(text) {
    return [`${text}\n? [a, b]\n: c\n? {x: 1}\n: d\n`, 'complex keys'];
  },
  function hugeLine(text, rng) {
    return [`${text}\nidentifier2: ${hugeString(rng)}\n`, 'huge line'];
  },
  function directives(text) {
    return [`%YAML 1.1\n%TAG ! tag:e2rx.example,2024:\n---\n${text}`, 'YAML directives'];
  },
];

/**
 * `count` mutated variants of `seeds`, deterministic for a given `seed`. Value mutations come first (on the seed's
 * parsed value, parsed once), then text mutations: the text is never parsed again, so variants stay cheap to make.
 */
export function* mutatedDirectives(seeds: readonly SeedDirective[], options: { readonly count: number; readonly seed: number }): Generator<Variant> {
  const rng = createRng(options.seed);
  const parsed = new Map<SeedDirective, Record<string, unknown> | undefined>();
  const valueOf = (source: SeedDirective): Record<string, unknown> | undefined => {
    if (!parsed.has(source)) {
      const document = parseDocument(source.text, { uniqueKeys: false });
      const value = document.errors.length === 0 && isPlainTree(document.contents) ? plainValue(document) : undefined;
      parsed.set(source, value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
    }
    const value = parsed.get(source);
    return value === undefined ? undefined : structuredClone(value);
  };
  for (let index = 0; index < options.count; index += 1) {
    const source = rng.pick(seeds);
    const mutations: string[] = [];
    const root = valueOf(source);
    let text: string | undefined;
    const steps = 1 + rng.int(3);
    for (let step = 0; step < steps; step += 1) {
      if (text === undefined && root !== undefined && rng.chance(0.5)) {
        mutations.push(rng.pick(VALUE_MUTATIONS)(root, rng));
        continue;
      }
      text ??= mutations.length === 0 || root === undefined ? source.text : serialise(root, source.text);
      const [mutated, label] = rng.pick(TEXT_MUTATIONS)(text, rng);
      mutations.push(label);
      text = mutated;
    }
    text ??= mutations.length === 0 || root === undefined ? source.text : serialise(root, source.text);
    yield { index, seedName: source.name, mutations, text };
  }
}

/** The YAML of a mutated value (the seed's text when the serialiser cannot write it). */
function serialise(root: Record<string, unknown>, fallback: string): string {
  try {
    return stringify(root, { aliasDuplicateObjects: false, lineWidth: 0 });
  } catch {
    return fallback;
  }
}

function plainValue(document: ReturnType<typeof parseDocument>): unknown {
  try {
    return document.toJS();
  } catch {
    return undefined; // merge keys of the wrong kind and the like: mutate the text instead
  }
}

/** Whether a document is small, shallow and alias-free enough to mutate as a value (the rest stays text). */
function isPlainTree(node: unknown): boolean {
  let count = 0;
  const stack: { node: unknown; depth: number }[] = [{ node, depth: 0 }];
  while (stack.length > 0) {
    const { node: current, depth } = stack.pop() as { node: unknown; depth: number };
    count += 1;
    if (count > 20_000 || depth > 100) return false;
    if (isMap(current)) {
      for (const pair of current.items) {
        if (!isScalar(pair.key)) return false;
        stack.push({ node: pair.value, depth: depth + 1 });
      }
    } else if (isSeq(current)) {
      for (const item of current.items) stack.push({ node: item, depth: depth + 1 });
    } else if (current !== null && current !== undefined && !isScalar(current as Node)) {
      return false;
    }
  }
  return true;
}
