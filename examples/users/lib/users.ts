// Helpers shared by the users functions (lib/ has no index.ts, so it is not a function itself).
import { Output, QueryArg, db, resp } from "@e2rx/sdk-assemblyscript";

/** Whether `id` looks like a user id: 1 to 18 digits. */
export function isId(id: string): bool {
  if (id.length == 0 || id.length > 18) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A number of the host's write result, `{"lastInsertID":7,"rowsAffected":1}`. */
export function resultNumber(json: string, key: string): i64 {
  const at = json.indexOf('"' + key + '":');
  if (at < 0) return 0;
  let end = at + key.length + 3;
  while (end < json.length && json.charCodeAt(end) >= 48 && json.charCodeAt(end) <= 57) end++;
  return i64.parse(json.slice(at + key.length + 3, end));
}

/** The error of a failed query: 409 for a duplicate email (PostgreSQL: "duplicate key", MySQL: "Duplicate entry"), else 500. */
export function queryFailed(error: string): Output {
  if (error.includes("duplicate key") || error.includes("Duplicate entry")) return Output.err(409, "a user with this email already exists");
  return Output.err(500, error);
}

/** Answers the user `id` as JSON (`{"id":1,"name":"Ada","email":"ada@example.com"}`), or 404. */
export function userOutput(id: string): Output {
  const rows = db.select("SelectUser", [new QueryArg("id", id)]);
  if (rows.isErr) return queryFailed(rows.error);
  const json = rows.text(); // a JSON array of rows: [] or [{...}]
  if (json == "[]") return Output.err(404, "no user " + id);
  resp.contentType("application/json");
  return Output.ok(json.slice(1, json.length - 1));
}
