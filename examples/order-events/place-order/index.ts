// place-order: takes {"id":"…","sku":"…","qty":"…"}, publishes the order on the NATS subject orders.placed (with a
// `kind` header) and an audit line on the Kafka topic orders-audit (keyed by the order's id), then checks the
// quantity: a run that fails after publishing sends nothing, since e2rx sends a run's messages only when it succeeds.
import { Output, log, publish, req } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  const id = req.bodyField("id");
  const sku = req.bodyField("sku");
  const qty = req.bodyField("qty");
  if (id.length == 0 || sku.length == 0) return Output.err(400, "an order needs an id and a sku");

  const headers = new Map<string, string>();
  headers.set("kind", "order-placed");
  const event = publish.nats("orders.placed", input, headers);
  if (event.isErr) return Output.err(500, event.error);
  const audit = publish.kafka("orders-audit", "placed " + id + ": " + qty + " x " + sku, id);
  if (audit.isErr) return Output.err(500, audit.error);

  // Checked after publishing on purpose: this error means neither message is sent.
  if (qty.length == 0 || I32.parseInt(qty) <= 0) return Output.err(400, "a quantity must be positive");
  log.info("placed " + id);
  return Output.ok('{"id":"' + id + '","status":"placed"}');
}
