/**
 * A config of another generation (an E2 Core `tenant.json`) gets one clear error instead of a list of
 * missing keys.
 *
 * @module
 */
import type { Rule } from './context.js';

const TENANT_KEYS = ['specVersion', 'tenantVersion', 'defaultNamespace', 'namespaces', 'modules'] as const;

/** Reports tenant-config keys at the top level. */
export const generationRule: Rule = ({ directive, report }) => {
  const found = TENANT_KEYS.filter((key) => key in directive);
  if (found.length === 0) return;
  report(
    [found[0] as string],
    `this looks like an E2 Core tenant config (it has ${found.map((key) => `'${key}'`).join(', ')}), not an Atmo Directive: ` +
      'e2rx runs Atmo v0.4.x Directives (identifier, appVersion, atmoVersion, handlers, runnables); see docs/reference/directive.md',
    'error',
    'key',
  );
};
