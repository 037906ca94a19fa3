// update-user: PUT /users/:id with {"name": ..., "email": ...} changes the user and answers it, or 404.
import { Output, QueryArg, db, req } from "@e2rx/sdk-assemblyscript";
import { isId, queryFailed, userOutput } from "../lib/users";

export function run(_input: ArrayBuffer): Output {
  const id = req.urlParam("id");
  if (!isId(id)) return Output.err(400, "a user id is a number");
  const name = req.bodyField("name");
  const email = req.bodyField("email");
  if (name.length == 0 || email.length == 0) return Output.err(400, "send a JSON body with a name and an email");
  const updated = db.update("UpdateUser", [new QueryArg("name", name), new QueryArg("email", email), new QueryArg("id", id)]);
  if (updated.isErr) return queryFailed(updated.error);
  // Not rowsAffected: MySQL counts the rows whose values changed, so an update to the same values gives 0.
  return userOutput(id);
}
