/**
 * Reading a case file: YAML with positions (the Directive's parser), checked against {@link CaseFileSchema}. Every
 * problem carries `file:line:col`, as the Directive's do.
 *
 * @module
 */
import { parseYaml, type ParsedYaml } from '../../directive/parse.js';
import type { DirectivePath, Problem } from '../../directive/problem.js';
import { issueText, pathLabel } from '../../directive/structure.js';
import { CaseFileSchema, type CaseFileInput } from './case-schema.js';

/** The name of the case file beside a Directive. */
export const CASE_FILE_NAME = 'Directive.test.yaml';

/** A case file read: its value and where each path is written, or its problems. */
export type CaseFileOutcome =
  | { readonly ok: true; readonly cases: CaseFileInput; readonly yaml: ParsedYaml }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * Parses and checks the text of a case file. Never throws.
 *
 * @example
 * ```ts
 * const outcome = parseCaseFile('cases:\n  - name: hi\n    request: { path: /hello }\n    expect: { status: 200 }\n', 'Directive.test.yaml');
 * if (!outcome.ok) console.error(outcome.problems.map(formatProblem).join('\n'));
 * ```
 */
export function parseCaseFile(text: string, file: string): CaseFileOutcome {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  const { yaml } = parsed;
  if (yaml.value === null || typeof yaml.value !== 'object' || Array.isArray(yaml.value)) {
    return { ok: false, problems: [yaml.problem([], 'a case file is a YAML mapping with a list of cases: `cases:`')] };
  }
  const checked = CaseFileSchema.safeParse(yaml.value);
  if (checked.success) return { ok: true, cases: checked.data, yaml };
  const problems: Problem[] = [];
  for (const issue of checked.error.issues) {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(yaml.problem([...path, key], `unknown key '${key}' in ${label(path)}`, 'error', 'key'));
    } else {
      problems.push(yaml.problem(path, `${label(path)}: ${issueText(issue)}`));
    }
  }
  return { ok: false, problems };
}

/** `cases[0].expect.status`; `the case file` for the root. */
function label(path: DirectivePath): string {
  return path.length === 0 ? 'the case file' : pathLabel(path);
}
