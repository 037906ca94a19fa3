// count: answers the value of the counter named by the URL, 0 when it was never incremented.
import { Output, cache, req } from "@e2rx/sdk-assemblyscript";

export function run(_input: ArrayBuffer): Output {
  const value = cache.get("counter:" + req.urlParam("name"));
  if (value.isOk) return Output.ok(value.text());
  if (value.error == "key not found") return Output.ok("0");
  return Output.err(503, value.error);
}
