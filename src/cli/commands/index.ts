/**
 * Every CLI command, in the order `e2rx --help` lists them.
 *
 * @module
 */
import type { Command } from '../command.js';
import { schemaCommand } from './schema.js';
import { startCommand } from './start.js';
import { validateCommand } from './validate.js';

/** The commands. */
export const COMMANDS: readonly Command[] = [startCommand, validateCommand, schemaCommand];
