/**
 * Helpers for the build specs: AssemblyScript function sources and temp apps holding them.
 *
 * @module
 */

import { makeAppDir, minimalDirective } from '../support/apps.js';

/** A hello function: answers `hello <body>`. */
export const HELLO_SOURCE = `import { Output } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  return Output.ok("hello " + String.UTF8.decode(input));
}
`;

/** A function that imports a helper file beside it. */
export const WITH_HELPER_SOURCE = `import { greeting } from "./greeting";

export function run(input: ArrayBuffer): string {
  return greeting() + String.UTF8.decode(input);
}
`;

/** The helper file of {@link WITH_HELPER_SOURCE}. */
export const GREETING_SOURCE = `export function greeting(): string {
  return "hi ";
}
`;

/** A function with a type error at line 4, column 21. */
export const BROKEN_SOURCE = `import { Output } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  const n: string = input.byteLength;
  return Output.ok(n);
}
`;

/** An app directory with a Directive listing `functions` and the given source files. */
export function makeFunctionApp(files: Readonly<Record<string, string | Uint8Array>>, functions: readonly string[] = ['hello']): Promise<string> {
  return makeAppDir({ directive: minimalDirective({ functions }), files });
}
