/**
 * YAML text to a plain value, keeping every node's line and column so that problems can say where they are.
 *
 * @module
 */
import { Composer, CST, isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, visit, YAMLParseError, type Document, type Node, type Pair } from 'yaml';
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
 * The largest Directive read, in characters (1 MiB): a Directive with thousands of handlers is a few hundred KiB.
 * Larger text is refused before it is parsed, so that parsing time stays bounded.
 */
export const MAX_DIRECTIVE_LENGTH = 1024 * 1024;

/**
 * The deepest nesting of mappings and lists read (64 levels; a Directive needs about eight). Deeper text is refused
 * before it is composed: the YAML composer recurses once per level and would run out of stack.
 */
export const MAX_DIRECTIVE_DEPTH = 64;

/**
 * The most nodes that aliases may expand to when the document is turned into values (an "alias bomb": anchors of
 * anchors that double at every level). The YAML library counts it and refuses past it.
 */
export const MAX_ALIAS_EXPANSION = 100;

/**
 * Parses YAML text, keeping positions. Syntax errors (and duplicate keys) become problems with their position, and
 * so does text that would cost unbounded time or memory: larger than {@link MAX_DIRECTIVE_LENGTH}, nested deeper
 * than {@link MAX_DIRECTIVE_DEPTH}, or whose aliases expand past {@link MAX_ALIAS_EXPANSION}. Mapping keys must be
 * scalars. Never throws.
 *
 * @example
 * ```ts
 * const outcome = parseYaml('identifier: com.example\n', 'Directive.yaml');
 * if (outcome.ok) console.log(outcome.yaml.locate(['identifier'])); // { line: 1, column: 13 }
 * ```
 */
export function parseYaml(text: string, file: string): ParseOutcome {
  if (text.length > MAX_DIRECTIVE_LENGTH) {
    const message = `the Directive is ${text.length} characters long, more than the ${MAX_DIRECTIVE_LENGTH} a Directive may have (is this the right file?)`;
    return { ok: false, problems: [{ severity: 'error', message, path: [], file, line: 1, column: 1 }] };
  }
  const lineCounter = new LineCounter();
  // Line starts as the YAML parser counts them (after each \n), known before anything is parsed.
  lineCounter.addNewLine(0);
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) lineCounter.addNewLine(index + 1);
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
  // Flow nesting (`[[[[…`) is refused from the lexemes, before the parser builds a token per level; block nesting
  // (and block and flow mixed) from the parser's tokens, before the composer recurses into them.
  const deepFlow = firstTooDeepFlow(text);
  const tokens = deepFlow === undefined ? [...new Parser().parse(text)] : [];
  const tooDeep = deepFlow ?? firstTooDeep(tokens);
  if (tooDeep !== undefined) {
    return {
      ok: false,
      problems: [
        at(
          tooDeep,
          [],
          `invalid YAML: mappings and lists nest more than ${MAX_DIRECTIVE_DEPTH} levels deep here (a Directive needs about eight; check the brackets and the indentation)`,
          'error',
        ),
      ],
    };
  }
  const document = composeOne(tokens, text.length);
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) =>
        at(error.pos[0], [], `invalid YAML: ${firstLine(error.message)} (${yamlHint(error.code)})`, 'error'),
      ),
    };
  }
  const complexKeys = complexKeyOffsets(document);
  if (complexKeys.length > 0) {
    return {
      ok: false,
      problems: complexKeys.map((offset) =>
        at(offset, [], 'invalid YAML: a key that is a list or a mapping has no meaning in a Directive (write a plain name before the colon)', 'error'),
      ),
    };
  }
  const locate = (path: DirectivePath, which: 'key' | 'value' = 'value'): SourcePosition =>
    position(findOffset(document, path, which));
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = /alias/i.test(message)
      ? `its aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes; write the values out or use fewer anchors`
      : 'check the YAML around its anchors, aliases and merge keys';
    return { ok: false, problems: [at(0, [], `invalid YAML: ${firstLine(message)} (${hint})`, 'error')] };
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

/** The document of the stream, with an error for a second one (as `parseDocument` does). */
function composeOne(tokens: readonly CST.Token[], length: number): Document.Parsed {
  // `logLevel: 'error'`: the library's own warnings (complex keys stringified) go nowhere; they are problems here.
  const composer = new Composer({ uniqueKeys: true, merge: true, logLevel: 'error' });
  let document: Document.Parsed | undefined;
  for (const composed of composer.compose(tokens, true, length)) {
    if (document === undefined) {
      document = composed;
    } else {
      document.errors.push(new YAMLParseError(composed.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
  }
  // compose(…, forceDoc = true) yields at least one document.
  return document as Document.Parsed;
}

/**
 * The offset of the first flow collection (`[` or `{`) nested deeper than {@link MAX_DIRECTIVE_DEPTH}, from the
 * lexer's output (offsets are counted as the parser counts them: the lexer's control marks take no room).
 */
function firstTooDeepFlow(text: string): number | undefined {
  let offset = 0;
  let depth = 0;
  let atScalar = false;
  for (const lexeme of new Lexer().lex(text)) {
    if (atScalar) {
      atScalar = false;
      offset += lexeme.length;
      continue;
    }
    const type = CST.tokenType(lexeme);
    if (type === 'scalar') {
      atScalar = true;
      continue;
    }
    if (type === 'doc-mode' || type === 'flow-error-end') continue;
    if (type === 'flow-map-start' || type === 'flow-seq-start') {
      depth += 1;
      if (depth > MAX_DIRECTIVE_DEPTH) return offset;
    } else if (type === 'flow-map-end' || type === 'flow-seq-end') {
      depth = Math.max(0, depth - 1);
    }
    offset += lexeme.length;
  }
  return undefined;
}

/**
 * The offset of the first collection nested deeper than {@link MAX_DIRECTIVE_DEPTH}, found without recursion (the
 * point is to refuse what would overflow the stack).
 */
function firstTooDeep(tokens: readonly CST.Token[]): number | undefined {
  const stack: { token: CST.Token; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop() as { token: CST.Token; depth: number };
    if (token.type === 'document') {
      if (token.value) stack.push({ token: token.value, depth });
    } else if (CST.isCollection(token)) {
      if (depth + 1 > MAX_DIRECTIVE_DEPTH) return token.offset;
      for (const item of token.items) {
        if (item.key) stack.push({ token: item.key, depth: depth + 1 });
        if (item.value) stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * The offsets of mapping keys that are collections (`? [a, b]\n: c`), which `toJS` would turn into strings. An alias
 * as a key is let through (it names a scalar in any sensible document).
 */
function complexKeyOffsets(document: Document.Parsed): number[] {
  const offsets: number[] = [];
  visit(document, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key) && !isAlias(pair.key)) offsets.push(rangeStart(pair.key) ?? 0);
    },
  });
  return offsets;
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
