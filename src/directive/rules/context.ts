/**
 * What every validation rule receives.
 *
 * @module
 */
import type { DirectiveInput } from '../schema.js';
import type { DirectivePath } from '../problem.js';

/** A runnable as the rules see it: the Directive's own list, or the one inferred from the app's .wasm files. */
export interface RunnableEntry {
  readonly name: string;
  readonly namespace: string;
}

/** The context of one validation run. */
export interface RuleContext {
  /** The Directive, typed (the structural checks passed). */
  readonly directive: DirectiveInput;
  /** The runnables the app has: listed in the Directive or inferred from its files. */
  readonly runnables: readonly RunnableEntry[];
  /** Reports an error (or a warning) located at `path`: at its value, or at its key when `at` is `'key'`. */
  readonly report: (path: DirectivePath, message: string, severity?: 'error' | 'warning', at?: 'key' | 'value') => void;
}

/** One validation rule: reads the context and reports what is wrong. */
export type Rule = (context: RuleContext) => void;
