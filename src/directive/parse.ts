/**
 * YAML text to a plain value, keeping every node's line and column so that problems can say where they are.
 *
 * @module
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { DirectivePath, Problem } from './problem.js';

/** Where a path points in the source: 1-based line and column. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** A parsed YAML document: its plain value and a way to find where a path is written. */
export interface ParsedYaml {
  /** The plain JavaScript value (`undefined` for an empty document). */
  readonly value: unknown;
  /** The file name used in problems. */
  readonly file: string;
  /**
   * The position of the value at `path`, or of its key when `at` is `'key'`. A path that does not exist points at
   * its deepest existing ancestor (a missing key points at the object that should hold it).
   */
  locate(path: DirectivePath, at?: 'key' | 'value'): SourcePosition;
  /** Builds a problem located at `path`. */
  problem(path: DirectivePath, message: string, severity?: Problem['severity'], at?: 'key' | 'value'): Problem;
}

/** The outcome of parsing: the document, or the YAML syntax problems. */
export type ParseOutcome =
  | { readonly ok: true; readonly yaml: ParsedYaml }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * Parses YAML text, keeping positions. Syntax errors (and duplicate keys) become problems with their position.
 *
 * @example
 * ```ts
 * const outcome = parseYaml('identifier: com.example\n', 'Directive.yaml');
 * if (outcome.ok) console.log(outcome.yaml.locate(['identifier'])); // { line: 1, column: 13 }
 * ```
 */
export function parseYaml(text: string, file: string): ParseOutcome {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const at = (offset: number, path: DirectivePath, message: string, severity: Problem['severity']): Problem => ({
    severity,
    message,
    path,
    file,
    ...position(offset),
  });
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) =>
        at(error.pos[0], [], `invalid YAML: ${firstLine(error.message)} (${yamlHint(error.code)})`, 'error'),
      ),
    };
  }
  const locate = (path: DirectivePath, which: 'key' | 'value' = 'value'): SourcePosition =>
    position(findOffset(document, path, which));
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [at(0, [], `invalid YAML: ${message}`, 'error')] };
  }
  return {
    ok: true,
    yaml: {
      value,
      file,
      locate,
      problem: (path, message, severity = 'error', which = 'value') => ({ severity, message, path, file, ...locate(path, which) }),
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key may appear once in a mapping; remove or rename the duplicate';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation and the closing brackets around this line';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, not tabs';
    case 'MULTIPLE_DOCS':
      return 'a Directive is a single YAML document; remove the `---` separator';
    default:
      return 'check the YAML syntax around this position';
  }
}

function findOffset(document: Document, path: DirectivePath, which: 'key' | 'value'): number {
  let node: unknown = document.contents;
  let offset = rangeStart(node) ?? 0;
  for (let index = 0; index < path.length; index += 1) {
    const segment = path[index];
    const isLast = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item: Pair) => keyText(item.key) === String(segment));
      if (!pair) return offset;
      if (isLast && which === 'key') return rangeStart(pair.key) ?? offset;
      node = pair.value;
      offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) return offset;
      node = item;
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  if (isPair(node)) return rangeStart(node.key);
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
