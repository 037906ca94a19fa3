// quote: combines the outputs of tax and shipping (in the state, under their names) into the quote: the order
// with its tax, shipping and total added (in cents, as strings, like the amount).
import { Output, req, resp } from "@e2rx/sdk-assemblyscript";

export function run(_input: ArrayBuffer): Output {
  const tax = req.state("tax");
  const shipping = req.state("shipping");
  const total = i64.parse(req.bodyField("amount")) + i64.parse(tax) + i64.parse(shipping);
  req.setBodyField("tax", tax);
  req.setBodyField("shipping", shipping);
  req.setBodyField("total", total.toString());
  resp.contentType("application/json");
  return Output.ok(req.body());
}
