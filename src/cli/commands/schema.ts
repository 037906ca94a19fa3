/**
 * `e2rx schema`: prints the Directive's JSON Schema.
 *
 * @module
 */
import type { Command } from '../command.js';

/** The schema command. */
export const schemaCommand: Command = {
  name: 'schema',
  summary: "print the Directive's JSON Schema (for editors and linters)",
  usage: '',
  description: 'Point a YAML language server at the output: see docs/reference/directive.md.',
  options: {},
  maxPositionals: 0,
  examples: ['e2rx schema > directive.schema.json'],
  async run(_args, io) {
    const { directiveJsonSchema } = await import('../../directive/schema.js');
    io.stdout.write(`${JSON.stringify(directiveJsonSchema(), null, 2)}\n`);
    return 0;
  },
};
