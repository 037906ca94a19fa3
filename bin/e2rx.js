#!/usr/bin/env node
// The e2rx command. The CLI itself lives in src/cli (compiled to dist/cli on `npm ci` by the `prepare` script).
// Exit codes: docs/reference/cli.md#exit-codes. An error that escapes everything (an exception thrown from a timer or
// a socket while `start` serves, a rejection nobody handles) is a bug of e2rx: one message, no stack trace, exit 70.
import { main } from '../dist/cli/main.js';
import { EXIT_CODES, internalErrorText } from '../dist/cli/io.js';

const internalError = (error) => {
  process.stderr.write(internalErrorText(error));
  process.exit(EXIT_CODES.internal);
};
process.on('uncaughtException', internalError);

main(process.argv.slice(2)).then((code) => {
  if (typeof code === 'number') process.exitCode = code;
}, internalError);
