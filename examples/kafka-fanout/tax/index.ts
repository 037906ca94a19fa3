// tax: the VAT of an order {"country": "FR", "amount": "4000"} (amounts in cents, as strings), in cents.
import { Output, req } from "@e2rx/sdk-assemblyscript";

function ratePercent(country: string): i64 {
  if (country == "FR") return 20;
  if (country == "DE") return 19;
  if (country == "ES") return 21;
  return 0; // outside the shop's VAT area
}

export function run(_input: ArrayBuffer): Output {
  const amount = i64.parse(req.bodyField("amount"));
  if (amount <= 0) return Output.err(400, "an order needs an amount in cents");
  return Output.ok((amount * ratePercent(req.bodyField("country")) / 100).toString());
}
