/**
 * The part of the AssemblyScript compiler's API (`assemblyscript/asc`) that e2rx uses, typed here on purpose: the
 * package's own type declarations bring AssemblyScript's standard library types into the whole program (for example
 * `Array.prototype.at()` returning `T` instead of `T | undefined`), which would weaken type checking everywhere.
 *
 * @module
 */
import { E2rxError } from '../errors.js';

/** A compiler diagnostic, as `reportDiagnostic` receives it. */
export interface AscDiagnostic {
  /** 1 info, 2 warning, 3 error. */
  readonly category: number;
  readonly code: number;
  readonly message: string;
  readonly range: { readonly start: number; readonly source: { readonly normalizedPath: string } } | null;
}

/** The callbacks `main` accepts. */
export interface AscOptions {
  readonly stdout: { write(chunk: Uint8Array | string): unknown };
  readonly stderr: { write(chunk: Uint8Array | string): unknown };
  readFile(filename: string, baseDir: string): Promise<string | null> | string | null;
  writeFile(filename: string, contents: Uint8Array | string, baseDir: string): unknown;
  listFiles(dirname: string, baseDir: string): string[] | null;
  reportDiagnostic(diagnostic: AscDiagnostic): void;
}

/** What `main` and `compileString` resolve with. */
export interface AscResult {
  readonly error: Error | null;
  readonly stdout: { toString(): string };
  readonly stderr: { toString(): string };
}

/** The compiler API. */
export interface AscApi {
  /** The standard library's sources, by path without `.ts`. */
  readonly libraryFiles: Readonly<Record<string, string | undefined>>;
  main(argv: readonly string[], options: AscOptions): Promise<AscResult>;
  compileString(
    sources: Readonly<Record<string, string>> | string,
    options?: Readonly<Record<string, unknown>>,
  ): Promise<AscResult & { readonly binary: Uint8Array | null; readonly text: string | null }>;
}

const ASC_MODULE = 'assemblyscript/asc';

/**
 * Loads the AssemblyScript compiler on first use (it is large: commands that do not build never load it).
 *
 * @throws {@link E2rxError} `E2RX_BUILD_FAILED` with how to install it when the package is missing.
 */
export async function loadAsc(): Promise<AscApi> {
  try {
    const loaded = (await import(ASC_MODULE)) as { default: AscApi };
    return loaded.default;
  } catch (cause) {
    throw new E2rxError('E2RX_BUILD_FAILED', 'the AssemblyScript compiler (the npm package assemblyscript) is not installed', {
      cause,
      hint: 'install it next to e2rx: npm install --save-dev assemblyscript@0.28',
    });
  }
}
