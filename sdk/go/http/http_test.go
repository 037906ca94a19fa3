package http_test

import (
	"errors"
	"strings"
	"testing"

	"e2rx"
	"e2rx/e2rxtest"
	"e2rx/http"
)

// recorder answers every request with 200 and "<METHOD> answered", /missing with 404, /down with a transport error.
func recorder(seen *[]e2rxtest.HTTPRequest) func(r e2rxtest.HTTPRequest) (int, []byte, error) {
	return func(r e2rxtest.HTTPRequest) (int, []byte, error) {
		*seen = append(*seen, r)
		switch {
		case strings.HasSuffix(r.URL, "/missing"):
			return 404, []byte("nothing: here"), nil
		case strings.HasSuffix(r.URL, "/down"):
			return 0, nil, errors.New(`Get "http://example.test/down": connection refused`)
		}
		return 200, []byte(r.Method + " answered"), nil
	}
}

func call(t *testing.T, host *e2rxtest.Host, fn func() ([]byte, error)) ([]byte, error) {
	t.Helper()
	var body []byte
	var err error
	host.Run(func([]byte) ([]byte, error) {
		body, err = fn()
		return nil, nil
	}, nil)
	return body, err
}

func TestDoSendsEveryMethodWithBodyAndHeaders(t *testing.T) {
	var seen []e2rxtest.HTTPRequest
	host := e2rxtest.New()
	host.HTTP = recorder(&seen)
	for _, method := range []string{"", "get", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"} {
		body, err := call(t, host, func() ([]byte, error) {
			return http.Do(&http.Request{Method: method, URL: "http://example.test/x", Header: map[string]string{"b-second": "2", "a-first": "1"}, Body: []byte("payload")})
		})
		want := strings.ToUpper(method)
		if want == "" {
			want = "GET"
		}
		if err != nil || string(body) != want+" answered" {
			t.Fatalf("%q: %q, %v", method, body, err)
		}
	}
	last := seen[len(seen)-1]
	if last.URL != "http://example.test/x" || last.Header["a-first"] != "1" || last.Header["b-second"] != "2" || string(last.Body) != "payload" {
		t.Fatalf("request %+v", last)
	}
}

func TestGetAndPost(t *testing.T) {
	var seen []e2rxtest.HTTPRequest
	host := e2rxtest.New()
	host.HTTP = recorder(&seen)
	if body, err := call(t, host, func() ([]byte, error) { return http.Get("http://example.test/a") }); err != nil || string(body) != "GET answered" {
		t.Fatalf("Get: %q, %v", body, err)
	}
	if body, err := call(t, host, func() ([]byte, error) {
		return http.Post("http://example.test/b", "application/json", []byte(`{"a":1}`))
	}); err != nil || string(body) != "POST answered" {
		t.Fatalf("Post: %q, %v", body, err)
	}
	if seen[1].Header["Content-Type"] != "application/json" || string(seen[1].Body) != `{"a":1}` {
		t.Fatalf("post request %+v", seen[1])
	}
}

func TestANon2xxStatusIsAStatusError(t *testing.T) {
	var seen []e2rxtest.HTTPRequest
	host := e2rxtest.New()
	host.HTTP = recorder(&seen)
	_, err := call(t, host, func() ([]byte, error) { return http.Get("http://example.test/missing") })
	var status *http.StatusError
	if !errors.As(err, &status) || status.StatusCode != 404 || string(status.Body) != "nothing: here" {
		t.Fatalf("error %#v", err)
	}
	if err.Error() != "http: status 404: nothing: here" {
		t.Fatalf("message %q", err.Error())
	}
}

func TestATransportFailureIsAHostError(t *testing.T) {
	var seen []e2rxtest.HTTPRequest
	host := e2rxtest.New()
	host.HTTP = recorder(&seen)
	_, err := call(t, host, func() ([]byte, error) { return http.Get("http://example.test/down") })
	var hostErr *e2rx.HostError
	if !errors.As(err, &hostErr) || hostErr.Message != `Get "http://example.test/down": connection refused` {
		t.Fatalf("error %#v", err)
	}
}

func TestAColonInAHeaderFailsBeforeSending(t *testing.T) {
	var seen []e2rxtest.HTTPRequest
	host := e2rxtest.New()
	host.HTTP = recorder(&seen)
	_, err := call(t, host, func() ([]byte, error) {
		return http.Do(&http.Request{URL: "http://example.test/", Header: map[string]string{"x-time": "12:00"}})
	})
	if err == nil || err.Error() != `http.Do: the value of header "x-time" must not contain ':'` {
		t.Fatalf("error %v", err)
	}
	_, err = call(t, host, func() ([]byte, error) {
		return http.Do(&http.Request{URL: "http://example.test/", Header: map[string]string{"x:y": "1"}})
	})
	if err == nil || !strings.Contains(err.Error(), `header name "x:y"`) {
		t.Fatalf("error %v", err)
	}
	if len(seen) != 0 {
		t.Fatalf("%d requests were sent", len(seen))
	}
}

func TestAnUnknownMethodFailsBeforeSending(t *testing.T) {
	host := e2rxtest.New()
	_, err := call(t, host, func() ([]byte, error) { return http.Do(&http.Request{Method: "TRACE", URL: "http://example.test/"}) })
	if err == nil || !strings.Contains(err.Error(), "unsupported method TRACE") {
		t.Fatalf("error %v", err)
	}
}

func TestWithoutTheCapabilityTheHostSaysSo(t *testing.T) {
	host := e2rxtest.New()
	_, err := call(t, host, func() ([]byte, error) { return http.Get("http://example.test/") })
	if err == nil || err.Error() != "http.Do: capability is not enabled" {
		t.Fatalf("error %v", err)
	}
}
