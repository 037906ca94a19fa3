/**
 * `e2rx schema [--cases]`: prints the Directive's JSON Schema, or that of the case files of `e2rx test`.
 *
 * @module
 */
import type { Command } from '../command.js';

/** The schema command. */
export const schemaCommand: Command = {
  name: 'schema',
  summary: "print the Directive's JSON Schema (for editors and linters)",
  usage: '[options]',
  description: 'Point a YAML language server at the output: see docs/reference/directive.md.',
  options: {
    cases: { type: 'boolean', description: "print the JSON Schema of Directive.test.yaml (the cases of e2rx test) instead" },
  },
  maxPositionals: 0,
  examples: ['e2rx schema > directive.schema.json', 'e2rx schema --cases > cases.schema.json'],
  async run({ values }, io) {
    if (values['cases'] === true) {
      const { caseFileJsonSchema } = await import('../../testing/cases/case-schema.js');
      io.stdout.write(`${JSON.stringify(caseFileJsonSchema(), null, 2)}\n`);
      return 0;
    }
    const { directiveJsonSchema } = await import('../../directive/schema.js');
    io.stdout.write(`${JSON.stringify(directiveJsonSchema(), null, 2)}\n`);
    return 0;
  },
};
