/**
 * Every CLI command, in the order `e2rx --help` lists them.
 *
 * @module
 */
import type { Command } from '../command.js';
import { buildCommand } from './build.js';
import { initCommand } from './init.js';
import { schemaCommand } from './schema.js';
import { startCommand } from './start.js';
import { testCommand } from './test.js';
import { validateCommand } from './validate.js';

/** The commands. */
export const COMMANDS: readonly Command[] = [initCommand, buildCommand, startCommand, testCommand, validateCommand, schemaCommand];
