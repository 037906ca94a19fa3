/**
 * `e2rx schema`: prints the Directive's JSON Schema.
 *
 * @module
 */
import { directiveJsonSchema } from '../../directive/index.js';
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
  run(_args, io) {
    io.stdout.write(`${JSON.stringify(directiveJsonSchema(), null, 2)}\n`);
    return Promise.resolve(0);
  },
};
