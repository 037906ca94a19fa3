package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"e2rx/e2rxtest"
)

// host is a fake e2rx with the books table holding one book and a ratings API that knows it.
func host(t *testing.T) *e2rxtest.Host {
	t.Helper()
	h := e2rxtest.New()
	h.Request.Method = "GET"
	h.Secrets = map[string]string{"RATINGS_URL": "http://ratings.test"}
	h.DB = func(q e2rxtest.Query) ([]byte, error) {
		if q.Type != "select" || q.Name != "SelectBook" {
			t.Fatalf("unexpected query %+v", q)
		}
		if q.Args[0] == "9780262510875" {
			return []byte(`[{"isbn":"9780262510875","title":"SICP","author":"Abelson, Sussman","year":1996}]`), nil
		}
		return []byte(`[]`), nil
	}
	h.HTTP = func(r e2rxtest.HTTPRequest) (int, []byte, error) {
		if r.URL == "http://ratings.test/ratings/9780262510875" {
			return 200, []byte(`{"average":4.6,"count":1520}`), nil
		}
		return 404, []byte("no rating"), nil
	}
	return h
}

const sicp = `{"isbn":"9780262510875","title":"SICP","author":"Abelson, Sussman","year":1996,"rating":{"average":4.6,"count":1520}}`

func TestABookIsAnsweredWithItsRatingAndCached(t *testing.T) {
	h := host(t)
	h.Request.Params["isbn"] = "9780262510875"
	out := h.Run(getBook, nil)
	if out.Err != nil || string(out.Output) != sicp {
		t.Fatalf("got %s", out)
	}
	if h.RespHeaders["X-Cache"] != "miss" || h.RespHeaders["Content-Type"] != "application/json" {
		t.Fatalf("headers %v", h.RespHeaders)
	}
	if string(h.Cache["book:9780262510875"]) != sicp || h.CacheTTL["book:9780262510875"] != time.Minute {
		t.Fatalf("cache %q for %v", h.Cache["book:9780262510875"], h.CacheTTL["book:9780262510875"])
	}
}

func TestACachedBookIsAnsweredFromTheCache(t *testing.T) {
	h := host(t)
	h.Request.Params["isbn"] = "9780262510875"
	h.Cache["book:9780262510875"] = []byte(`{"cached":true}`)
	h.DB = nil
	out := h.Run(getBook, nil)
	if string(out.Output) != `{"cached":true}` || h.RespHeaders["X-Cache"] != "hit" {
		t.Fatalf("got %s, headers %v", out, h.RespHeaders)
	}
}

func TestAnUnknownBookIs404(t *testing.T) {
	h := host(t)
	h.Request.Params["isbn"] = "9780000000002"
	out := h.Run(getBook, nil)
	if out.Err == nil || out.Err.Code != 404 || out.Err.Message != "no book 9780000000002" {
		t.Fatalf("got %s", out)
	}
}

func TestABadISBNIs400(t *testing.T) {
	h := host(t)
	h.Request.Params["isbn"] = "12ab"
	if out := h.Run(getBook, nil); out.Err == nil || out.Err.Code != 400 {
		t.Fatalf("got %s", out)
	}
}

func TestWithoutTheRatingsAPIABookIsAnsweredWithoutARating(t *testing.T) {
	h := host(t)
	h.Request.Params["isbn"] = "9780262510875"
	h.HTTP = func(e2rxtest.HTTPRequest) (int, []byte, error) {
		return 0, nil, errors.New(`Get "http://ratings.test/ratings/9780262510875": connection refused`)
	}
	out := h.Run(getBook, nil)
	if out.Err != nil || !strings.HasSuffix(string(out.Output), `"rating":null}`) {
		t.Fatalf("got %s", out)
	}
	if !strings.Contains(h.LogText(), "warn: asking the ratings API: http.Do: Get ") {
		t.Fatalf("log %q", h.LogText())
	}
}

func TestADatabaseErrorFailsTheCall(t *testing.T) {
	h := host(t)
	h.Request.Params["isbn"] = "9780262510875"
	h.DB = func(e2rxtest.Query) ([]byte, error) { return nil, errors.New(`relation "books" does not exist`) }
	out := h.Run(getBook, nil)
	if out.Err == nil || out.Err.Code != 500 || out.Err.Message != `db.Query: relation "books" does not exist` {
		t.Fatalf("got %s", out)
	}
}
