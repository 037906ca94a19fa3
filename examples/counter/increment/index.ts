// increment: adds one to the counter named by the URL and answers its new value.
import { Output, cache, req } from "@e2rx/sdk-assemblyscript";

export function run(_input: ArrayBuffer): Output {
  const key = "counter:" + req.urlParam("name");
  const current = cache.get(key);
  // A counter that does not exist yet reads as "key not found": it starts at 0. Any other error is the cache's.
  if (current.isErr && current.error != "key not found") return Output.err(503, current.error);
  const next = (current.isOk ? i64.parse(current.text()) : 0) + 1;
  const stored = cache.set(key, next.toString());
  if (stored.isErr) return Output.err(503, stored.error);
  return Output.ok(next.toString());
}
