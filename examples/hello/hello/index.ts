// hello: answers "hello <body>".
import { Output, log } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  const name = String.UTF8.decode(input);
  log.info("saying hello to " + name);
  return Output.ok("hello " + name);
}
