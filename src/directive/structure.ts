/**
 * Structural checks driven by the schema: wrong types become errors, unknown keys become warnings with a
 * did-you-mean suggestion (the original ignored unknown keys silently).
 *
 * @module
 */
import { DirectiveSchema, directiveJsonSchema, type DirectiveInput } from './schema.js';
import type { ParsedYaml } from './parse.js';
import type { DirectivePath, Problem } from './problem.js';
import { closestMatch } from './suggest.js';

/** The outcome of the structural checks: the typed value when the types are right, and the problems found. */
export interface StructureOutcome {
  readonly directive: DirectiveInput | undefined;
  readonly problems: readonly Problem[];
}

/**
 * Checks the shape and types of a parsed Directive against {@link DirectiveSchema}, and lists unknown keys.
 */
export function checkStructure(yaml: ParsedYaml): StructureOutcome {
  const problems: Problem[] = [];
  const value = yaml.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const shape = value === null || value === undefined ? 'empty' : `a ${describeValue(value)}`;
    problems.push(
      yaml.problem([], `the Directive is ${shape}: it must be a YAML mapping with at least identifier, appVersion, atmoVersion and handlers or schedules`),
    );
    return { directive: undefined, problems };
  }
  const parsed = DirectiveSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
      problems.push(yaml.problem(path, `${pathLabel(path)}: ${issueText(issue)}`));
    }
  }
  collectUnknownKeys(value, knownKeys(), [], yaml, problems);
  return { directive: parsed.success ? parsed.data : undefined, problems };
}

let KNOWN_KEYS: JsonSchemaNode | undefined;

/** The Directive's JSON Schema, built once: building it takes longer than validating a Directive. */
function knownKeys(): JsonSchemaNode {
  KNOWN_KEYS ??= directiveJsonSchema() as JsonSchemaNode;
  return KNOWN_KEYS;
}

interface JsonSchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly additionalProperties?: boolean | JsonSchemaNode;
  readonly items?: JsonSchemaNode;
}

function collectUnknownKeys(value: unknown, schema: JsonSchemaNode, path: DirectivePath, yaml: ParsedYaml, problems: Problem[]): void {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, index) => collectUnknownKeys(item, schema.items as JsonSchemaNode, [...path, index], yaml, problems));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const entries = Object.entries(value as Record<string, unknown>);
  if (schema.properties) {
    const known = Object.keys(schema.properties);
    for (const [key, child] of entries) {
      const childSchema = schema.properties[key];
      if (childSchema) {
        collectUnknownKeys(child, childSchema, [...path, key], yaml, problems);
      } else {
        const suggestion = closestMatch(key, known);
        const where = path.length === 0 ? 'at the top level' : `in ${pathLabel(path)}`;
        const hint = suggestion ? `; did you mean '${suggestion}'?` : `; known keys: ${known.join(', ')}`;
        problems.push(yaml.problem([...path, key], `unknown key '${key}' ${where} is ignored${hint}`, 'warning', 'key'));
      }
    }
  } else if (typeof schema.additionalProperties === 'object') {
    for (const [key, child] of entries) collectUnknownKeys(child, schema.additionalProperties, [...path, key], yaml, problems);
  }
}

/** `handlers[0].steps[1].fn` */
export function pathLabel(path: DirectivePath): string {
  if (path.length === 0) return 'the Directive';
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}

/** The fields of a zod issue that {@link issueText} reads. */
export interface IssueLike {
  readonly code: string;
  readonly message: string;
  readonly expected?: unknown;
  readonly input?: unknown;
  readonly minimum?: unknown;
}

/** The text of a schema issue, as problems say it (`must be a mapping`…). */
export function issueText(issue: IssueLike): string {
  if (issue.code === 'invalid_type') {
    const expected = String(issue.expected);
    const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
    const wanted = expected === 'record' || expected === 'object' ? 'a mapping' : expected === 'array' ? 'a list' : `${article} ${expected}`;
    return `must be ${wanted}${expected === 'string' ? ' (quote the value if YAML reads it as another type)' : ''}`;
  }
  // The Directive's only unions are the string-or-list values (`auth.jwt.issuer`, `auth.jwt.audience`).
  if (issue.code === 'invalid_union') return 'must be a string or a list of strings';
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  return issue.message.replace(/^Invalid input: /, '');
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  return typeof value === 'string' ? 'string' : typeof value;
}
