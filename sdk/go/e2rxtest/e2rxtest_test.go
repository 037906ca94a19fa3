package e2rxtest_test

import (
	"strconv"
	"strings"
	"testing"

	"e2rx/e2rxtest"
	"e2rx/internal/abi"
)

// raw runs fn inside a call, with the ABI the SDK sees.
func raw(host *e2rxtest.Host, fn func(h abi.Host, ident int32) string) string {
	out := host.Run(func([]byte) ([]byte, error) { return []byte(fn(abi.Current(), abi.Ident())), nil }, nil)
	return string(out.Output)
}

func TestFFIFunctionsRefuseWhileAResultIsUncollected(t *testing.T) {
	host := e2rxtest.New()
	host.Cache["k"] = []byte("value")
	got := raw(host, func(h abi.Host, ident int32) string {
		first := h.CacheGet([]byte("k"), ident)
		second := h.RequestGetField(abi.FieldMeta, []byte("method"), ident)
		buf := make([]byte, first)
		collected := h.GetFFIResult(buf, ident)
		again := h.GetFFIResult(buf, ident)
		third := h.RequestGetField(abi.FieldMeta, []byte("method"), ident)
		return strings.Join([]string{itoa(first), itoa(second), itoa(collected), string(buf), itoa(again), itoa(third)}, ",")
	})
	if got != "5,-1,0,value,-1,4" {
		t.Fatalf("got %s", got)
	}
}

func TestASecretReplacesAnUncollectedResult(t *testing.T) {
	host := e2rxtest.New()
	host.Secrets = map[string]string{"S": "xyz"}
	got := raw(host, func(h abi.Host, ident int32) string {
		h.RequestGetField(abi.FieldMeta, []byte("method"), ident)
		size := h.GetSecretValue([]byte("S"), ident)
		buf := make([]byte, size)
		h.GetFFIResult(buf, ident)
		return string(buf)
	})
	if got != "xyz" {
		t.Fatalf("got %s", got)
	}
}

func TestAnotherIdentIsRefused(t *testing.T) {
	host := e2rxtest.New()
	got := raw(host, func(h abi.Host, ident int32) string {
		h.LogMsg([]byte("ignored"), abi.LevelInfo, ident+1)
		h.RespSetHeader([]byte("x"), []byte("y"), ident+1)
		return strings.Join([]string{
			itoa(h.RequestGetField(abi.FieldMeta, []byte("method"), ident+1)),
			itoa(h.CacheSet([]byte("k"), []byte("v"), 0, ident+1)),
			itoa(h.AddFFIVar(nil, nil, ident+1)),
		}, ",")
	})
	if got != "-1,-1,-1" || len(host.Logs) != 0 || len(host.RespHeaders) != 0 || len(host.Cache) != 0 {
		t.Fatalf("got %s, logs %v, headers %v, cache %v", got, host.Logs, host.RespHeaders, host.Cache)
	}
}

func TestFetchURLRefusesABadMethodOrHeaderSegment(t *testing.T) {
	host := e2rxtest.New()
	host.HTTP = func(e2rxtest.HTTPRequest) (int, []byte, error) { return 200, nil, nil }
	got := raw(host, func(h abi.Host, ident int32) string {
		return itoa(h.FetchURL(7, []byte("http://x/"), nil, ident)) + "," + itoa(h.FetchURL(0, []byte("http://x/::bad"), nil, ident))
	})
	if got != "-2,-2" {
		t.Fatalf("got %s", got)
	}
}

func TestFetchURLKeepsTheColonsOfAnIPv6Host(t *testing.T) {
	var seen e2rxtest.HTTPRequest
	host := e2rxtest.New()
	host.HTTP = func(r e2rxtest.HTTPRequest) (int, []byte, error) { seen = r; return 200, nil, nil }
	raw(host, func(h abi.Host, ident int32) string {
		h.FetchURL(0, []byte("http://[::1]:8080/x::accept:text/plain"), nil, ident)
		return ""
	})
	if seen.URL != "http://[::1]:8080/x" || seen.Header["accept"] != "text/plain" {
		t.Fatalf("request %+v", seen)
	}
}

func TestTheFirstOutcomeWins(t *testing.T) {
	host := e2rxtest.New()
	out := host.Run(func([]byte) ([]byte, error) {
		abi.Current().ReturnResult([]byte("first"), abi.Ident())
		return []byte("second"), nil
	}, nil)
	if string(out.Output) != "first" || out.Err != nil {
		t.Fatalf("got %s", out)
	}
}

func TestRunSetsTheBodyAndKeepsChangesBetweenCalls(t *testing.T) {
	host := e2rxtest.New()
	host.Run(func(input []byte) ([]byte, error) {
		abi.Current().RequestSetField(abi.FieldState, []byte("seen"), input, abi.Ident())
		return nil, nil
	}, []byte("one"))
	if string(host.Request.Body) != "one" || string(host.Request.State["seen"]) != "one" {
		t.Fatalf("request %+v", host.Request)
	}
}

func TestAZeroHostWorksToo(t *testing.T) {
	var host e2rxtest.Host
	out := host.Run(func(input []byte) ([]byte, error) {
		abi.Current().LogMsg([]byte("hi"), 99, abi.Ident())
		return input, nil
	}, []byte("x"))
	if string(out.Output) != "x" || host.LogText() != "info: hi\n" {
		t.Fatalf("got %s, log %q", out, host.LogText())
	}
}

func itoa(n int32) string {
	return strconv.Itoa(int(n))
}
