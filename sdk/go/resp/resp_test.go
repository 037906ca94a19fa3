package resp_test

import (
	"testing"

	"e2rx/e2rxtest"
	"e2rx/resp"
)

func TestSetHeaderAndContentTypeSetResponseHeadersLastWriteWins(t *testing.T) {
	host := e2rxtest.New()
	out := host.Run(func([]byte) ([]byte, error) {
		resp.SetHeader("X-Served-By", "first")
		resp.SetHeader("X-Served-By", "second")
		resp.ContentType("application/json")
		return nil, nil
	}, nil)
	if out.Err != nil {
		t.Fatal(out)
	}
	if host.RespHeaders["X-Served-By"] != "second" || host.RespHeaders["Content-Type"] != "application/json" {
		t.Fatalf("headers %v", host.RespHeaders)
	}
}
