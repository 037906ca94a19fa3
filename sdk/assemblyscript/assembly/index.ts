/**
 * The e2rx AssemblyScript SDK: write functions (Runnables) for e2rx and Atmo v0.4.x.
 *
 * A function exports `run`, which gets the request body and returns an {@link Output}:
 *
 * ```ts
 * import { Output, req, log } from "@e2rx/sdk-assemblyscript";
 *
 * export function run(input: ArrayBuffer): Output {
 *   log.info("hello from " + req.url());
 *   return Output.ok("hello " + String.UTF8.decode(input));
 * }
 * ```
 *
 * `e2rx build` adds the module's ABI exports (`run_e`, `allocate`, `deallocate`) and routes `abort` to the host.
 *
 * @module
 */

export { Output } from "./output";
export { Result } from "./result";
export { req, FieldType, getField, setField } from "./req";
export { resp } from "./resp";
export { cache } from "./cache";
export { http, Method, fetch } from "./http";
export { graphql } from "./graphql";
export { log, LogLevel, logAt } from "./log";
export { db, QueryArg, QueryType, execute } from "./db";
export { file } from "./file";
export { secrets } from "./secrets";
export { publish, publishError, PUBLISH_NATS, PUBLISH_KAFKA } from "./publish";
export { util } from "./util";
export {
  allocate,
  deallocate,
  runE,
  RESULT_ERROR_CODE,
  abortHandler,
  traceHandler,
  seedHandler,
} from "./runnable";
