// enrich: adds the customer's tier to an order (a JSON object with a "customer"), from the static file
// static/tiers/<customer>.txt, "standard" when there is none. The result is published on respondTo.
import { Output, file, req, resp } from "@e2rx/sdk-assemblyscript";

export function run(_input: ArrayBuffer): Output {
  const customer = req.bodyField("customer");
  if (customer.length == 0) return Output.err(400, "an order needs a customer");
  const tier = file.getStatic("tiers/" + customer + ".txt");
  // setBodyField changes a top-level field of the JSON body; the host re-serialises it (keys sorted).
  const set = req.setBodyField("tier", tier.isOk ? tier.text().trim() : "standard");
  if (set.isErr) return Output.err(500, set.error);
  resp.contentType("application/json");
  return Output.ok(req.body());
}
