/**
 * Top-level rules (docs/reference/directive.md#validation): identifier, versions, at least one function.
 *
 * @module
 */
import { isValidSemver } from '../semver.js';
import type { Rule } from './context.js';

/** `identifier is missing`, the two version rules and `no functions listed`. */
export const topLevelRule: Rule = ({ directive, runnables, report }) => {
  if (!directive.identifier) report(['identifier'], 'identifier is missing');
  if (!isValidSemver(directive.appVersion ?? '')) report(['appVersion'], 'app version is not a valid semantic version');
  if (!isValidSemver(directive.atmoVersion ?? '')) report(['atmoVersion'], 'atmo version is not a valid semantic version');
  if (runnables.length === 0) report(['runnables'], 'no functions listed');
};
