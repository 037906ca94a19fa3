// beat: run by the schedule every second. Counts the beats and writes the heartbeat, which expires after 3 s.
import { Output, cache, req } from "@e2rx/sdk-assemblyscript";

export function run(_input: ArrayBuffer): Output {
  if (req.method() != "SCHED") return Output.err(405, "beat runs on the schedule only");
  const previous = cache.get("heartbeat:beats");
  const beats = (previous.isOk ? i64.parse(previous.text()) : 0) + 1;
  cache.set("heartbeat:beats", beats.toString());
  // The schedule's name is the request's URL; the request id tells one run from the next.
  const heartbeat = '{"beats":' + beats.toString() + ',"schedule":"' + req.url() + '","run":"' + req.id() + '"}';
  const stored = cache.set("heartbeat", heartbeat, 3);
  if (stored.isErr) return Output.err(503, stored.error);
  return Output.ok(heartbeat);
}
