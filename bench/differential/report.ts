/**
 * The result of a differential run: the agreement figure, the differences grouped by the rule that explains them
 * (unexplained ones grouped by family, statuses and the parts that differ), the JSON written for machines, and the
 * generated section of docs/compatibility.md.
 */
import { IGNORED_HEADERS } from './compare.js';
import { classify, RULES, statuses, type Pair, type Rule, type RuleKind } from './rules.js';

/** One example of a group, readable. */
export interface Example {
  readonly id: number;
  readonly variant: string;
  /** The request line as sent (Latin-1 bytes shown as JSON escapes beyond ASCII). */
  readonly requestLine: string;
  readonly statuses: string;
  readonly atmoBody: string;
  readonly e2rxBody: string;
  /** The headers that differ: `name: atmo → e2rx`. */
  readonly headers: readonly string[];
}

/** Differences explained by one rule, or unexplained ones of one signature. */
export interface Group {
  /** The rule id, or `unexplained: <signature>`. */
  readonly id: string;
  readonly kind: RuleKind;
  readonly reference: string;
  readonly title: string;
  readonly explanation: string;
  readonly count: number;
  /** The families the differences came from, with counts. */
  readonly families: Readonly<Record<string, number>>;
  readonly examples: readonly Example[];
}

/** A whole run. */
export interface DifferentialResult {
  readonly seed: number;
  readonly total: number;
  readonly same: number;
  /** `same / total`, in percent with one decimal. */
  readonly agreement: number;
  /** `(same + documented deviations + Atmo bugs) / total`, in percent with one decimal. */
  readonly accounted: number;
  readonly byKind: Readonly<Record<RuleKind, number>>;
  /** Per family of the corpus: requests, and those answered alike. */
  readonly families: Readonly<Record<string, { readonly total: number; readonly same: number }>>;
  readonly groups: readonly Group[];
  /** Every differing request: id, family, variant, group id. */
  readonly differences: readonly (Example & { readonly family: string; readonly group: string })[];
  readonly meta: Readonly<Record<string, string>>;
}

/** How many examples a group keeps. */
const EXAMPLES = 3;

/** Readable: ASCII kept, other bytes (Latin-1 chars) as \xNN, cut at `limit`. */
export function printable(latin1: string, limit = 120): string {
  const shown = latin1.replace(/[^\x20-\x7e]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > limit ? `${shown.slice(0, limit)}…(${latin1.length} bytes)` : shown;
}

/** The signature of an unexplained difference: family, statuses, the parts that differ. */
export function signatureOf(pair: Pair): string {
  const parts = [pair.difference.status ? 'status' : '', pair.difference.body ? 'body' : '', ...pair.difference.headers.map((header) => `header ${header.name}`)].filter(Boolean);
  return `${pair.request.family} ${statuses(pair)} (${parts.join(', ')})`;
}

function exampleOf(pair: Pair): Example {
  return {
    id: pair.request.id,
    variant: pair.request.variant,
    requestLine: printable(pair.request.raw.slice(0, pair.request.raw.indexOf('\n')).replace(/\r$/, '')),
    statuses: statuses(pair),
    atmoBody: printable(Buffer.from(pair.atmo.body, 'base64').toString('latin1')),
    e2rxBody: printable(Buffer.from(pair.e2rx.body, 'base64').toString('latin1')),
    headers: pair.difference.headers.map((header) => `${header.name}: ${header.atmo.map((value) => printable(value, 60)).join(' | ') || '(none)'} → ${header.e2rx.map((value) => printable(value, 60)).join(' | ') || '(none)'}`),
  };
}

/** Groups the pairs and computes the figures. */
export function summarise(pairs: readonly Pair[], seed: number, meta: Readonly<Record<string, string>> = {}, rules: readonly Rule[] = RULES): DifferentialResult {
  const groups = new Map<string, { rule?: Rule; pairs: Pair[] }>();
  const differences: DifferentialResult['differences'][number][] = [];
  let same = 0;
  const perFamily: Record<string, { total: number; same: number }> = {};
  for (const pair of pairs) {
    const family = (perFamily[pair.request.family] ??= { total: 0, same: 0 });
    family.total += 1;
    if (pair.difference.same) family.same += 1;
    if (pair.difference.same) {
      same += 1;
      continue;
    }
    const rule = classify(pair, rules);
    const id = rule?.id ?? `unexplained: ${signatureOf(pair)}`;
    const group = groups.get(id) ?? (rule === undefined ? { pairs: [] } : { rule, pairs: [] });
    group.pairs.push(pair);
    groups.set(id, group);
    differences.push({ ...exampleOf(pair), family: pair.request.family, group: id });
  }
  const byKind: Record<RuleKind, number> = { deviation: 0, 'atmo-bug': 0, open: 0, unexplained: 0 };
  const order: readonly RuleKind[] = ['unexplained', 'open', 'atmo-bug', 'deviation'];
  const list: Group[] = [...groups.entries()].map(([id, group]) => {
    const families: Record<string, number> = {};
    for (const pair of group.pairs) families[pair.request.family] = (families[pair.request.family] ?? 0) + 1;
    const kind = group.rule?.kind ?? 'unexplained';
    byKind[kind] += group.pairs.length;
    return {
      id,
      kind,
      reference: group.rule?.reference ?? '-',
      title: group.rule?.title ?? id.slice('unexplained: '.length),
      explanation: group.rule?.explanation ?? '',
      count: group.pairs.length,
      families,
      examples: pickExamples(group.pairs).map(exampleOf),
    };
  });
  list.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || b.count - a.count || a.id.localeCompare(b.id));
  const percent = (count: number): number => (pairs.length === 0 ? 100 : Math.round((count / pairs.length) * 1000) / 10);
  return {
    seed,
    total: pairs.length,
    same,
    agreement: percent(same),
    accounted: percent(same + byKind.deviation + byKind['atmo-bug']),
    byKind,
    families: perFamily,
    groups: list,
    differences,
    meta,
  };
}

/** Examples that differ from each other where possible (distinct variants). */
function pickExamples(pairs: readonly Pair[]): Pair[] {
  const seen = new Set<string>();
  const picked: Pair[] = [];
  for (const pair of pairs) {
    if (picked.length >= EXAMPLES) break;
    if (seen.has(pair.request.variant)) continue;
    seen.add(pair.request.variant);
    picked.push(pair);
  }
  return picked;
}

/** The summary printed on the console. */
export function consoleSummary(result: DifferentialResult): string {
  const lines = [
    `differential: ${result.total} requests (seed ${result.seed}), ${result.same} answered alike: agreement ${result.agreement}%`,
    `differences: ${result.byKind.deviation} documented deviations, ${result.byKind['atmo-bug']} Atmo bugs, ${result.byKind.open} open (issue 15), ${result.byKind.unexplained} unexplained; alike or documented: ${result.accounted}%`,
  ];
  for (const group of result.groups) {
    lines.push(`  [${group.kind}] ${group.count} × ${group.reference === '-' ? '' : `${group.reference}: `}${group.title}`);
    for (const example of group.examples.slice(0, group.kind === 'unexplained' ? 3 : 1)) {
      lines.push(`      #${example.id} ${example.requestLine}  ${example.statuses}  atmo=${JSON.stringify(example.atmoBody.slice(0, 80))} e2rx=${JSON.stringify(example.e2rxBody.slice(0, 80))}`);
      for (const header of example.headers) lines.push(`        ${header}`);
    }
  }
  return lines.join('\n');
}

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The generated section of docs/compatibility.md (between its markers). */
export function markdownSection(result: DifferentialResult): string {
  const kindName: Record<RuleKind, string> = { deviation: 'documented deviation', 'atmo-bug': 'Atmo bug', open: 'open (issue 15)', unexplained: 'unexplained' };
  const lines = [
    `Run of ${result.meta['date'] ?? 'unknown date'} on ${result.meta['commit'] ?? 'unknown commit'}: **${result.total} requests, ${result.same} answered alike: agreement ${result.agreement}%**.`,
    '',
    '| Kind | Requests |',
    '|---|---|',
    `| answered alike | ${result.same} |`,
    ...(['deviation', 'atmo-bug', 'open', 'unexplained'] as const).map((kind) => `| ${kindName[kind]} | ${result.byKind[kind]} |`),
    `| alike or documented (deviation, Atmo bug) | ${result.accounted}% |`,
    '',
    '| Family of requests | Requests | Answered alike |',
    '|---|---|---|',
    ...Object.entries(result.families)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([family, counts]) => `| ${family} | ${counts.total} | ${counts.same} |`),
    '',
    '| Group | Kind | Where recorded | Requests | What differs | Example (Atmo → e2rx) |',
    '|---|---|---|---|---|---|',
  ];
  for (const group of result.groups) {
    const example = group.examples[0];
    const shown = example === undefined ? '' : `\`${cell(example.requestLine.slice(0, 70))}\`: ${example.statuses}`;
    lines.push(`| [\`${cell(group.id)}\`](#${anchorOf(group.id)}) | ${kindName[group.kind]} | ${cell(group.reference)} | ${group.count} | ${cell(group.title)} | ${shown} |`);
  }
  lines.push('', '### Every group, with examples', '');
  for (const group of result.groups) {
    lines.push(`#### ${group.id}`, '', `${kindName[group.kind]}${group.reference === '-' ? '' : `, ${group.reference}`}; ${group.count} requests (${Object.entries(group.families).map(([family, count]) => `${family} ${count}`).join(', ')}).`, '');
    lines.push(group.title, '');
    if (group.explanation !== '') lines.push(group.explanation, '');
    for (const example of group.examples) {
      lines.push(`- #${example.id} (${example.variant}) \`${cell(example.requestLine)}\`: ${example.statuses}; Atmo \`${cell(example.atmoBody.slice(0, 100)) || '(empty)'}\`, e2rx \`${cell(example.e2rxBody.slice(0, 100)) || '(empty)'}\``);
      for (const header of example.headers) lines.push(`  - header ${cell(header)}`);
    }
    lines.push('');
  }
  lines.push('### Headers not compared', '', '| Header | Why |', '|---|---|', ...Object.entries(IGNORED_HEADERS).map(([name, why]) => `| \`${name}\` | ${why} |`));
  return lines.join('\n');
}

/** The Markdown anchor GitHub gives a `####` heading of `id`. */
export function anchorOf(id: string): string {
  return id
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

/** Replaces the generated section of `doc` (between the differential markers) with `section`. */
export function replaceSection(doc: string, section: string): string {
  const begin = '<!-- differential:begin (generated by bench/differential/run.ts --write-docs) -->';
  const end = '<!-- differential:end -->';
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error('docs/compatibility.md has no differential markers');
  return `${doc.slice(0, from + begin.length)}\n${section}\n${doc.slice(to)}`;
}

