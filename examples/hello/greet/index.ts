// greet: reads the :name URL parameter and the output of the previous step (state key "previous"),
// and answers with a small JSON document.
import { Output, req, resp } from "@e2rx/sdk-assemblyscript";

export function run(_input: ArrayBuffer): Output {
  const name = req.urlParam("name");
  if (name.length == 0) return Output.err(400, "a name is required");
  const previous = req.state("previous");
  resp.contentType("application/json");
  return Output.ok('{"greeting":"hello ' + name + '","previous":"' + previous + '","method":"' + req.method() + '"}');
}
