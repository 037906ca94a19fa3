// get-user: GET /users/:id answers the user, or 404.
import { Output, req } from "@e2rx/sdk-assemblyscript";
import { isId, userOutput } from "../lib/users";

export function run(_input: ArrayBuffer): Output {
  const id = req.urlParam("id");
  if (!isId(id)) return Output.err(400, "a user id is a number");
  return userOutput(id);
}
