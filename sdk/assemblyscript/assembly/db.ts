/**
 * `db`: the named queries of the Directive (`queries:`), run against the app's database connection.
 *
 * @module
 */

import { add_ffi_var, db_exec } from "./env";
import { ffiResult, getIdent, len, ptr } from "./ffi";
import { Result } from "./result";

/** The query types as the host numbers them (docs/reference/host-abi.md §7): insert 0, select 1, update 2, delete 3. */
export enum QueryType {
  Insert = 0,
  Select = 1,
  Update = 2,
  Delete = 3,
}

/** One variable of a query. Variables are positional: the host uses their order, not their names. */
export class QueryArg {
  constructor(
    /** The variable's name (for readability; the host ignores it). */
    public readonly name: string,
    /** The value, as a string. */
    public readonly value: string,
  ) {}
}

/** Runs the named query of type `queryType` with `args`, in order. */
export function execute(queryType: QueryType, name: string, args: QueryArg[]): Result {
  for (let i = 0; i < args.length; i++) {
    const arg = unchecked(args[i]);
    const n = String.UTF8.encode(arg.name);
    const v = String.UTF8.encode(arg.value);
    if (add_ffi_var(ptr(n), len(n), ptr(v), len(v), getIdent()) != 0) {
      return Result.err("failed to add query variable '" + arg.name + "'");
    }
  }
  const q = String.UTF8.encode(name);
  return ffiResult(db_exec(queryType, ptr(q), len(q), getIdent()));
}

/**
 * The Directive's named queries. Each runs the query with its variables, in order, and returns JSON: `select` an array
 * of row objects, `insert` `{"lastInsertID":n,"rowsAffected":0}`, `update` and `delete` `{"lastInsertID":0,"rowsAffected":n}`.
 *
 * ```ts
 * const rows = db.select("PGSelectUserWithUUID", [new QueryArg("uuid", req.urlParam("uuid"))]);
 * ```
 */
export abstract class db {
  /** Runs an insert query. */
  static insert(name: string, args: QueryArg[] = []): Result {
    return execute(QueryType.Insert, name, args);
  }

  /** Runs a select query; the result is a JSON array of rows. */
  static select(name: string, args: QueryArg[] = []): Result {
    return execute(QueryType.Select, name, args);
  }

  /** Runs an update query. */
  static update(name: string, args: QueryArg[] = []): Result {
    return execute(QueryType.Update, name, args);
  }

  /** Runs a delete query. */
  static delete(name: string, args: QueryArg[] = []): Result {
    return execute(QueryType.Delete, name, args);
  }
}
