// delete-user: DELETE /users/:id deletes the user and answers what it was, or 404.
import { Output, QueryArg, db, req } from "@e2rx/sdk-assemblyscript";
import { isId, queryFailed, userOutput } from "../lib/users";

export function run(_input: ArrayBuffer): Output {
  const id = req.urlParam("id");
  if (!isId(id)) return Output.err(400, "a user id is a number");
  const user = userOutput(id);
  if (user.isError) return user;
  const deleted = db.delete("DeleteUser", [new QueryArg("id", id)]);
  if (deleted.isErr) return queryFailed(deleted.error);
  return user;
}
