package req_test

import (
	"strings"
	"testing"

	"e2rx/e2rxtest"
	"e2rx/req"
)

func run(t *testing.T, host *e2rxtest.Host, input string, fn func() string) string {
	t.Helper()
	out := host.Run(func([]byte) ([]byte, error) { return []byte(fn()), nil }, []byte(input))
	if out.Err != nil {
		t.Fatalf("the function failed: %s", out)
	}
	return string(out.Output)
}

func TestGettersReadTheRequest(t *testing.T) {
	host := e2rxtest.New()
	host.Request.Method = "PUT"
	host.Request.URL = "/users/7?fields=name&fields=email"
	host.Request.ID = "req-1"
	host.Request.Header["content-type"] = "application/json"
	host.Request.Params["id"] = "7"
	host.Request.State["previous"] = []byte("earlier output")
	got := run(t, host, `{"name":"Ada","age":36}`, func() string {
		return strings.Join([]string{
			req.Method(), req.URL(), req.ID(), string(req.Body()), req.BodyField("name"), req.BodyField("age"),
			req.BodyField("missing"), req.Header("Content-Type"), req.Header("x-none"), req.URLParam("id"),
			req.QueryParam("fields"), req.QueryParam("none"), req.State("previous"), string(req.StateBytes("previous")),
			req.State("none"),
		}, "|")
	})
	want := `PUT|/users/7?fields=name&fields=email|req-1|{"name":"Ada","age":36}|Ada|||application/json||7|name||earlier output|earlier output|`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestBodyFieldOfABodyThatIsNotJSONIsEmpty(t *testing.T) {
	host := e2rxtest.New()
	if got := run(t, host, "plain text", func() string { return "[" + req.BodyField("name") + "]" }); got != "[]" {
		t.Fatalf("got %q", got)
	}
}

func TestSettersChangeTheRequestForLaterSteps(t *testing.T) {
	host := e2rxtest.New()
	run(t, host, `{"name":"ada"}`, func() string {
		for _, err := range []error{
			req.SetMethod("PATCH"), req.SetURL("/elsewhere"), req.SetHeader("x-step", "1"),
			req.SetURLParam("id", "9"), req.SetState("greeting", "hello"), req.SetStateBytes("raw", []byte{0, 1}),
			req.SetBodyField("name", "Ada"),
		} {
			if err != nil {
				t.Fatalf("a setter failed: %v", err)
			}
		}
		return ""
	})
	r := host.Request
	if r.Method != "PATCH" || r.URL != "/elsewhere" || r.Header["x-step"] != "1" || r.Params["id"] != "9" ||
		string(r.State["greeting"]) != "hello" || string(r.State["raw"]) != "\x00\x01" || string(r.Body) != `{"name":"Ada"}` {
		t.Fatalf("request after the call: %+v", r)
	}
}

func TestSetBodyReplacesTheRawBody(t *testing.T) {
	host := e2rxtest.New()
	got := run(t, host, "before", func() string {
		if err := req.SetBody([]byte("after")); err != nil {
			t.Fatal(err)
		}
		return string(req.Body())
	})
	if got != "after" {
		t.Fatalf("got %q", got)
	}
}

func TestSetBodyFieldOfABodyThatIsNotJSONIsTheHostError(t *testing.T) {
	host := e2rxtest.New()
	got := run(t, host, "not json", func() string {
		err := req.SetBodyField("name", "Ada")
		if err == nil {
			return "no error"
		}
		return err.Error()
	})
	if !strings.HasPrefix(got, "req.SetBodyField: failed to loadBodyValues: ") {
		t.Fatalf("got %q", got)
	}
}
