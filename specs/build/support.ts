/**
 * Helpers for the build specs: AssemblyScript and Go function sources and temp apps holding them.
 *
 * @module
 */

import { fileURLToPath } from 'node:url';
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

/** The Go SDK of this repository, as a `replace` target. */
export const GO_SDK = fileURLToPath(new URL('../../sdk/go', import.meta.url));

/** The go.mod of a Go function module named `module`, requiring the SDK from this repository. */
export function goMod(module: string, extra = ''): string {
  return `module ${module}\n\ngo 1.24\n\nrequire e2rx v0.0.0\n\nreplace e2rx => ${GO_SDK}\n${extra}`;
}

/** A Go hello function: answers `hello <body>`. */
export const GO_HELLO_SOURCE = `package main

import "e2rx"

func init() { e2rx.Handle(hello) }

func hello(input []byte) ([]byte, error) {
	return append([]byte("hello "), input...), nil
}

func main() {}
`;

/** A Go function with a type error at line 8, column 17. */
export const GO_BROKEN_SOURCE = `package main

import "e2rx"

func init() { e2rx.Handle(broken) }

func broken(input []byte) ([]byte, error) {
	var n string = len(input)
	return []byte(n), nil
}

func main() {}
`;

/** The files of a Go function `name` with its own module. */
export function goFunction(name: string, source = GO_HELLO_SOURCE): Record<string, string> {
  return { [`${name}/go.mod`]: goMod(`example.com/${name}`), [`${name}/main.go`]: source };
}
