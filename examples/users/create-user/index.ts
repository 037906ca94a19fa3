// create-user: POST /users with {"name": ..., "email": ...} inserts a user and answers it with its id.
import { Output, QueryArg, db, req } from "@e2rx/sdk-assemblyscript";
import { queryFailed, resultNumber, userOutput } from "../lib/users";

export function run(_input: ArrayBuffer): Output {
  const name = req.bodyField("name");
  const email = req.bodyField("email");
  if (name.length == 0 || email.length == 0) return Output.err(400, "send a JSON body with a name and an email");
  const inserted = db.insert("InsertUser", [new QueryArg("name", name), new QueryArg("email", email)]);
  if (inserted.isErr) return queryFailed(inserted.error);
  return userOutput(resultNumber(inserted.text(), "lastInsertID").toString());
}
