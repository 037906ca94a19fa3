/**
 * Runnable rules (docs/reference/directive.md#validation): names, namespaces, duplicates.
 *
 * @module
 */
import { DEFAULT_NAMESPACE } from '../fqfn.js';
import type { Rule } from './context.js';

/** Missing names or namespaces and duplicate functions. */
export const runnablesRule: Rule = ({ directive, report }) => {
  const seen = new Set<string>();
  (directive.runnables ?? []).forEach((runnable, index) => {
    if (!runnable.name) report(['runnables', index, 'name'], `function at position ${index} missing name`);
    if (!runnable.namespace) report(['runnables', index, 'namespace'], `function at position ${index} missing namespace`);
    if (!runnable.name) return;
    const key = `${runnable.namespace || DEFAULT_NAMESPACE}::${runnable.name}`;
    if (seen.has(key)) report(['runnables', index, 'name'], `duplicate fn ${key} found`);
    seen.add(key);
  });
};
