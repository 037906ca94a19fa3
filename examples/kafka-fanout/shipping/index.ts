// shipping: the shipping cost of an order {"country": "FR", ...}, in cents: 500 in France, 1500 elsewhere.
import { Output, req } from "@e2rx/sdk-assemblyscript";

export function run(_input: ArrayBuffer): Output {
  const country = req.bodyField("country");
  if (country.length == 0) return Output.err(400, "an order needs a country");
  return Output.ok(country == "FR" ? "500" : "1500");
}
