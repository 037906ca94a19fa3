/**
 * One error class for everything e2rx throws, with a closed list of codes.
 *
 * Every code is listed in {@link ERROR_CODES} with a one-line explanation and a hint on how to fix it;
 * `docs/reference/errors.md` lists the same codes and a spec keeps the two in sync.
 *
 * @module
 */

/**
 * Every error code e2rx can raise, with what it means and how to fix it.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from 'e2rx';
 * console.log(ERROR_CODES.E2RX_DIRECTIVE_INVALID.hint);
 * ```
 */
export const ERROR_CODES = {
  E2RX_DIRECTIVE_NOT_FOUND: {
    message: 'no Directive was found for the app',
    hint: 'put a Directive.yaml in the app directory or a runnables.wasm.zip bundle, or pass the path to one',
  },
  E2RX_DIRECTIVE_SYNTAX: {
    message: 'the Directive is not valid YAML',
    hint: 'fix the YAML at the position shown',
  },
  E2RX_DIRECTIVE_INVALID: {
    message: 'the Directive has problems',
    hint: 'fix each problem listed; `e2rx validate` prints them all',
  },
  E2RX_DIRECTIVE_GENERATION: {
    message: 'the config is of another generation than the Atmo Directive',
    hint: 'e2rx runs Atmo v0.4.x Directives (Directive.yaml); tenant.json configs of E2 Core v0.5+ are not supported',
  },
  E2RX_APP_NOT_FOUND: {
    message: 'the app path does not exist',
    hint: 'pass a directory holding a Directive.yaml or a runnables.wasm.zip bundle',
  },
  E2RX_APP_READ: {
    message: 'a file of the app could not be read',
    hint: 'check that the file exists and is readable',
  },
  E2RX_BUNDLE_CORRUPT: {
    message: 'the bundle is not a readable zip archive',
    hint: 'rebuild it with `e2rx build --bundle`',
  },
  E2RX_BUNDLE_TOO_LARGE: {
    message: 'the bundle inflates past its limits',
    hint: 'a bundle entry may inflate to 64 MiB and the bundle to 256 MiB: serve large files from elsewhere, or load the app with loadApp(path, { bundleLimits }) and pass it to createEngine',
  },
  E2RX_BUNDLE_DUPLICATE_ENTRY: {
    message: 'the bundle holds two entries with the same name',
    hint: 'rebuild it with `e2rx build --bundle` (a zip tool that appends, such as `zip -g`, adds a second copy instead of replacing the first)',
  },
  E2RX_MODULE_MISSING: {
    message: 'a runnable listed in the Directive has no .wasm module',
    hint: 'build the function (`e2rx build`) or remove it from `runnables`',
  },
  E2RX_MODULE_INVALID: {
    message: 'a file is not a valid WebAssembly module',
    hint: 'rebuild the function; the file must be a .wasm binary',
  },
  E2RX_MODULE_NOT_RUNNABLE: {
    message: 'a WebAssembly module does not export the Runnable ABI (memory, allocate, run_e)',
    hint: 'build it with a Suborbital SDK or the e2rx AssemblyScript SDK',
  },
  E2RX_FUNCTION_NOT_FOUND: {
    message: 'no function with that name is loaded',
    hint: 'check the fn reference and the runnables of the Directive',
  },
  E2RX_WASM_TRAP: {
    message: 'the WebAssembly function trapped',
    hint: 'the function crashed (panic, out-of-bounds access, unreachable); see its logs',
  },
  E2RX_WASM_TIMEOUT: {
    message: 'the WebAssembly function ran past its time limit',
    hint: 'raise limits.timeoutMs or fix the function',
  },
  E2RX_WASM_MEMORY: {
    message: 'the WebAssembly function exceeded its memory limit',
    hint: 'raise limits.maxMemoryMb or reduce what the function allocates',
  },
  E2RX_HOST_MEMORY: {
    message: 'the function held more on the host than its memory limit',
    hint: 'state, request fields, response headers, FFI variables and log lines a call sets count against limits.maxMemoryMb: raise it or have the function hold less',
  },
  E2RX_WASM_EXIT: {
    message: 'the WebAssembly function called proc_exit',
    hint: 'a Runnable must return through return_result or return_error, not exit',
  },
  E2RX_INPUT_TOO_LARGE: {
    message: 'the input is larger than the configured limit',
    hint: 'raise limits.maxInputBytes or send less',
  },
  E2RX_OUTPUT_TOO_LARGE: {
    message: 'the output is larger than the configured limit',
    hint: 'raise limits.maxOutputBytes or return less',
  },
  E2RX_POOL_CLOSED: {
    message: 'the worker pool is closed',
    hint: 'the server is shutting down; retry against another instance',
  },
  E2RX_CAPABILITY_DISABLED: {
    message: 'capability is not enabled',
    hint: 'enable the capability in the Directive',
  },
  E2RX_CONNECTION: {
    message: 'a connection to an external service failed',
    hint: 'check that the service runs at the address given in the Directive (`npm run services up` starts local ones)',
  },
  E2RX_OUTBOUND_HTTP: {
    message: 'an outbound HTTP or GraphQL request of a function failed',
    hint: 'the function gets the message as its error; details.kind says why (rule, transport, timeout, too-large, redirects, invalid)',
  },
  E2RX_PUBLISH_FAILED: {
    message: 'the messages a function published (e2rx.publish) could not be sent',
    hint: 'check the NATS or Kafka connection of the Directive; the run failed, and the source retries it as for any failure',
  },
  E2RX_RUN_ERROR: {
    message: 'a function returned an error',
    hint: 'see the error code and message the function returned',
  },
  E2RX_STEP_FAILED: {
    message: 'a step could not be executed',
    hint: 'see the cause',
  },
  E2RX_GROUP_TIMEOUT: {
    message: 'fn group timed out',
    hint: 'raise the group timeout or make the functions faster',
  },
  E2RX_DESIRED_STATE: {
    message: 'failed to build desired state',
    hint: 'a `with` key refers to a state key that the earlier steps did not produce',
  },
  E2RX_OVERLOADED: {
    message: 'the handler cannot take more work now: it could not finish in time, or its queue is full',
    hint: 'retry later (HTTP answers carry Retry-After), or see docs/reference/admission.md for the limits',
  },
  E2RX_REQUEST_TIMEOUT: {
    message: 'the run passed its request time limit',
    hint: 'raise limits.requestTimeoutMs, or make the functions faster',
  },
  E2RX_LISTEN: {
    message: 'the HTTP server cannot listen on its address',
    hint: 'another process uses that port (pass --port <port> or stop it), or check --host and --port',
  },
  E2RX_STOPPED: {
    message: 'the engine was stopped while it was starting',
    hint: 'nothing to fix when the stop was meant: start the engine again',
  },
  E2RX_ENV_UNSET: {
    message: 'an environment variable the Directive needs is unset',
    hint: 'set the variable named by env(VAR) in the environment of e2rx start (an empty value counts as unset)',
  },
  E2RX_AUTH_CONFIG: {
    message: 'an inbound auth key of the Directive cannot be used',
    hint: 'check the secret, public key or JWKS URL that the `auth` block names (see docs/reference/directive.md#auth-e2rx)',
  },
  E2RX_TELEMETRY_CONFIG: {
    message: 'an OpenTelemetry environment variable asks for something e2rx cannot do',
    hint: 'export with OTEL_TRACES_EXPORTER=otlp (or console) over http/protobuf or http/json (see docs/guides/observability.md)',
  },
  E2RX_CLI_USAGE: {
    message: 'the command line is not valid',
    hint: 'run `e2rx --help`',
  },
  E2RX_BUILD_FAILED: {
    message: 'a function failed to build',
    hint: 'fix the compile errors shown',
  },
  E2RX_TOOLCHAIN_MISSING: {
    message: 'a compiler that a function needs is not installed, or is too old',
    hint: 'install the toolchain named in the message (Go 1.24 or later for Go functions: https://go.dev/dl/)',
  },
  E2RX_TEST_STUB_EMPTY: {
    message: 'a marble stub completed without emitting a value',
    hint: 'give the stub one value (a function call ends at its first value); use null for a function that returns nothing',
  },
  E2RX_TEST_RXJS_DUPLICATE: {
    message: 'the test and e2rx use two different copies of rxjs',
    hint: 'install e2rx as a copy that shares your rxjs: `install-links=true` in .npmrc, then npm install <path of the e2rx checkout> (see docs/guides/testing.md)',
  },
  E2RX_TEST_CASES_NOT_FOUND: {
    message: 'the app has no case file',
    hint: 'write the cases of `e2rx test` in Directive.test.yaml beside the Directive (see docs/guides/testing.md)',
  },
  E2RX_TEST_CASES_INVALID: {
    message: 'the case file has problems',
    hint: 'fix each problem listed (file:line:col); the format is in docs/guides/testing.md',
  },
  E2RX_INTERNAL: {
    message: 'an internal error',
    hint: 'please report it with the log lines around it',
  },
} as const satisfies Record<string, { readonly message: string; readonly hint: string }>;

/** The closed union of e2rx error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options accepted by {@link E2rxError}. */
export interface E2rxErrorOptions {
  /** The underlying error, kept as the native `cause`. */
  readonly cause?: unknown;
  /** Whether retrying the same operation may succeed (a broker that is down, a timeout). */
  readonly retriable?: boolean;
  /** Extra structured facts (a file, a function name), shown in logs. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** How to fix it, when more specific than the code's generic hint. */
  readonly hint?: string;
}

/**
 * The one error class of e2rx: a code from {@link ERROR_CODES}, a message, an optional cause and a retriable flag.
 *
 * @example
 * ```ts
 * import { E2rxError } from 'e2rx';
 * try {
 *   throw new E2rxError('E2RX_APP_NOT_FOUND', 'no such directory: ./app');
 * } catch (error) {
 *   if (E2rxError.is(error, 'E2RX_APP_NOT_FOUND')) console.error(error.message, '-', error.hint);
 * }
 * ```
 */
export class E2rxError extends Error {
  override readonly name = 'E2rxError';
  /** The error code. */
  readonly code: ErrorCode;
  /** Whether retrying may succeed. */
  readonly retriable: boolean;
  /** Extra structured facts. */
  readonly details: Readonly<Record<string, unknown>>;
  /** How to fix it. */
  readonly hint: string;

  constructor(code: ErrorCode, message?: string, options: E2rxErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
    this.hint = options.hint ?? ERROR_CODES[code].hint;
  }

  /** Whether `value` is an {@link E2rxError}, optionally with the given code. */
  static is(value: unknown, code?: ErrorCode): value is E2rxError {
    return value instanceof E2rxError && (code === undefined || value.code === code);
  }
}

/** The message of any thrown value, for logs and error bodies. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}

/** The reason an `AbortSignal` was aborted, as an `Error` (a non-error reason is wrapped). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(reason === undefined ? 'aborted' : errorMessage(reason));
}
