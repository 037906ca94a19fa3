/**
 * The Directive: YAML to a validated, normalised Directive. No I/O but reading text.
 *
 * @module
 */
export { parseDirective, DIRECTIVE_RULES, type DirectiveResult, type ParseDirectiveOptions } from './validate.js';
export { formatProblem, formatProblems, hasErrors, type Problem, type DirectivePath } from './problem.js';
export { MAX_DIRECTIVE_LENGTH, MAX_DIRECTIVE_DEPTH, MAX_ALIAS_EXPANSION } from './parse.js';
export { directiveJsonSchema, DirectiveSchema, type DirectiveInput } from './schema.js';
export { resolveCapabilities } from './capabilities.js';
export { resolveEnv, envReference } from './env.js';
export { parseFqfn, formatFqfn, parseFqfnPath, findRunnable, DEFAULT_NAMESPACE, type Fqfn } from './fqfn.js';
export { isValidSemver } from './semver.js';
export { inferQueryType, inferVarCount, type QueryType } from './queries.js';
export { toRouterPath } from './rules/routes.js';
export type { RunnableEntry } from './rules/context.js';
export type * from './model.js';
