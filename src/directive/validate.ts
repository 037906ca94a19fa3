/**
 * Validation: YAML syntax, structure and types, unknown keys, then every rule of Atmo v0.4.x (docs/reference/directive.md#validation) in the
 * original's order. All problems are collected and reported together.
 *
 * @module
 */
import { normalizeDirective } from './normalize.js';
import { parseYaml } from './parse.js';
import { hasErrors, type Problem } from './problem.js';
import type { Directive } from './model.js';
import { DirectiveSchema, type DirectiveInput } from './schema.js';
import { checkStructure } from './structure.js';
import type { Rule, RuleContext, RunnableEntry } from './rules/context.js';
import { generationRule } from './rules/generation.js';
import { topLevelRule } from './rules/top-level.js';
import { runnablesRule } from './rules/runnables.js';
import { authenticationRule, connectionsRule } from './rules/connections.js';
import { handlersRule } from './rules/handlers.js';
import { authRule } from './rules/auth.js';
import { schedulesRule } from './rules/schedules.js';
import { queriesRule } from './rules/queries.js';
import { publishRule } from './rules/publish.js';

/** The rules, in the order the original checked them. */
export const DIRECTIVE_RULES: readonly Rule[] = [
  generationRule,
  topLevelRule,
  runnablesRule,
  connectionsRule,
  authenticationRule,
  handlersRule,
  authRule,
  schedulesRule,
  queriesRule,
  publishRule,
];

/** Options of {@link parseDirective}. */
export interface ParseDirectiveOptions {
  /** The file name used in problems (default `Directive.yaml`). */
  readonly file?: string;
  /** Runnables found in the app's files, used when the Directive has no `runnables` list. */
  readonly inferredRunnables?: readonly RunnableEntry[];
}

/** The outcome: the normalised Directive when there is no error, and every problem (warnings included). */
export interface DirectiveResult {
  readonly directive: Directive | undefined;
  readonly problems: readonly Problem[];
}

/**
 * Parses and validates Directive YAML text.
 *
 * @example
 * ```ts
 * import { parseDirective, formatProblems } from 'e2rx';
 * const { directive, problems } = parseDirective(text, { file: 'Directive.yaml' });
 * if (!directive) console.error(formatProblems(problems));
 * ```
 */
export function parseDirective(text: string, options: ParseDirectiveOptions = {}): DirectiveResult {
  const file = options.file ?? 'Directive.yaml';
  const parsed = parseYaml(text, file);
  if (!parsed.ok) return { directive: undefined, problems: parsed.problems };
  const structure = checkStructure(parsed.yaml);
  const problems = [...structure.problems];
  const input = structure.directive ?? withoutInvalidParts(parsed.yaml.value);
  if (!input) return { directive: undefined, problems: sortProblems(problems) };
  const inferred = options.inferredRunnables ?? [];
  const listed = (input.runnables ?? []).map((runnable) => ({ name: runnable.name ?? '', namespace: runnable.namespace || 'default' }));
  // A value of the wrong type is reported once, by the structural checks: the rules see it as absent and would
  // report it again (`steps: hello` is not also 'missing steps').
  const wronglyTyped = structure.problems.filter((problem) => problem.severity === 'error').map((problem) => problem.path);
  const context: RuleContext = {
    directive: { ...unknownKeys(parsed.yaml.value), ...input },
    runnables: listed.length > 0 ? listed : inferred,
    report: (path, message, severity = 'error', at = 'value') => {
      if (wronglyTyped.some((invalid) => invalid.every((segment, index) => path[index] === segment))) return;
      problems.push(parsed.yaml.problem(path, message, severity, at));
    },
  };
  const beforeRules = problems.length;
  for (const rule of DIRECTIVE_RULES) {
    rule(context);
    // A config of another generation gets its one clear error, not every Atmo rule and unknown key it trips over.
    if (rule === generationRule && problems.length > beforeRules) return { directive: undefined, problems: problems.slice(beforeRules) };
  }
  return {
    directive: hasErrors(problems) ? undefined : normalizeDirective(input, inferred),
    problems,
  };
}

/**
 * The top-level keys the schema does not know, as written: the rules see them (a tenant config's `specVersion` is
 * how the generation rule recognises one) but never a known key with a value of the wrong type, which the structural
 * checks have reported and {@link withoutInvalidParts} has dropped (`handlers: abc` must not reach the handler rules).
 */
function unknownKeys(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const known = new Set(Object.keys(DirectiveSchema.shape));
  return Object.fromEntries(Object.entries(value).filter(([key]) => !known.has(key)));
}

/**
 * The parts of a Directive whose types are right, so that the rules can still run (and report) when some value has
 * the wrong type: wrong values are dropped (list items become empty objects, to keep positions).
 */
function withoutInvalidParts(value: unknown): DirectiveInput | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const candidate = structuredClone(value) as Record<string, unknown>;
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const result = DirectiveSchema.safeParse(candidate);
    if (result.success) return result.data;
    for (const issue of result.error.issues) dropPath(candidate, issue.path.filter((segment) => typeof segment !== 'symbol'));
  }
  return undefined;
}

function dropPath(root: Record<string, unknown>, path: readonly PropertyKey[]): void {
  if (path.length === 0) return;
  let parent: unknown = root;
  for (const segment of path.slice(0, -1)) {
    parent = (parent as Record<PropertyKey, unknown> | undefined)?.[segment];
    if (parent === null || typeof parent !== 'object') return;
  }
  const last = path[path.length - 1] as PropertyKey;
  if (Array.isArray(parent)) parent[last as number] = {};
  else delete (parent as Record<PropertyKey, unknown>)[last];
}

function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((left, right) => left.line - right.line || left.column - right.column);
}
