// Tests of the hello function on your machine, with a fake e2rx (package e2rxtest): `go test` in hello/.
package main

import (
	"testing"

	"e2rx/e2rxtest"
)

func TestHello(t *testing.T) {
	host := e2rxtest.New()
	out := host.Run(hello, []byte("world"))
	if out.Err != nil || string(out.Output) != "hello world" {
		t.Fatalf("got %s, want \"hello world\"", out)
	}
	if host.LogText() != "info: saying hello to world\n" {
		t.Fatalf("logged %q", host.LogText())
	}
}
