// The hello function: it answers "hello <body>".
// Build it with `npm run build` (e2rx build), which writes hello.wasm next to the Directive.
package main

import (
	"e2rx"
	"e2rx/log"
)

func init() {
	e2rx.Handle(hello)
}

func hello(input []byte) ([]byte, error) {
	name := string(input)
	log.Info("saying hello to " + name)
	return []byte("hello " + name), nil
}

func main() {}
