// heartbeat: answers the last heartbeat written by the schedule, or 503 when there is none (it expires after 3 s).
import { Output, cache, resp } from "@e2rx/sdk-assemblyscript";

export function run(_input: ArrayBuffer): Output {
  const heartbeat = cache.get("heartbeat");
  if (heartbeat.isErr) return Output.err(503, "no heartbeat in the last 3 seconds");
  resp.contentType("application/json");
  return Output.ok(heartbeat.value);
}
