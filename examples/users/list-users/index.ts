// list-users: GET /users answers every user, as a JSON array ordered by id.
import { Output, db, resp } from "@e2rx/sdk-assemblyscript";
import { queryFailed } from "../lib/users";

export function run(_input: ArrayBuffer): Output {
  const rows = db.select("SelectUsers");
  if (rows.isErr) return queryFailed(rows.error);
  resp.contentType("application/json");
  return Output.ok(rows.value);
}
