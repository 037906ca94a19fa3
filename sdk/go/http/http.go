// Package http sends HTTP requests through the host (the app's http capability and its rules). The package is named
// like net/http, which does not work in a function: import it as it is, or under another name next to net/http.
//
//	body, err := http.Get("https://api.example.com/users/1")
//	var status *http.StatusError
//	if errors.As(err, &status) && status.StatusCode == 404 {
//		return nil, e2rx.NewError(404, "no such user")
//	}
//
// Only the response body comes back: a status from 200 to 299 gives the body, any other status a *StatusError,
// and a transport failure or a host the rules block a *e2rx.HostError with the reason.
package http

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"e2rx/internal/abi"
)

// The methods the host knows.
const (
	MethodGet     = "GET"
	MethodHead    = "HEAD"
	MethodOptions = "OPTIONS"
	MethodPost    = "POST"
	MethodPut     = "PUT"
	MethodPatch   = "PATCH"
	MethodDelete  = "DELETE"
)

// methodNumbers is the host's numbering of the methods (docs/reference/host-abi.md §7).
var methodNumbers = map[string]int32{
	MethodGet: 0, MethodHead: 1, MethodOptions: 2, MethodPost: 3, MethodPut: 4, MethodPatch: 5, MethodDelete: 6,
}

// Request is an outgoing request.
type Request struct {
	// Method is one of the Method constants; "" is GET.
	Method string
	// URL is the absolute URL.
	URL string
	// Header holds the request headers. Neither a name nor a value may contain ':' (the host receives headers
	// appended to the URL as ::Name:Value).
	Header map[string]string
	// Body is sent as it is; without a Content-Type header, a non-empty body is sent as application/octet-stream.
	Body []byte
}

// StatusError is the error of a response whose status is not 2xx.
type StatusError struct {
	// StatusCode is the response's status.
	StatusCode int
	// Body is the response's body.
	Body []byte
}

func (e *StatusError) Error() string {
	return "http: status " + strconv.Itoa(e.StatusCode) + ": " + string(e.Body)
}

// Do sends the request and returns the response body.
func Do(r *Request) ([]byte, error) {
	method := r.Method
	if method == "" {
		method = MethodGet
	}
	number, ok := methodNumbers[strings.ToUpper(method)]
	if !ok {
		return nil, &abi.HostError{Op: "http.Do", Message: "unsupported method " + method + ": use GET, HEAD, OPTIONS, POST, PUT, PATCH or DELETE"}
	}
	target := r.URL
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		value := r.Header[name]
		if strings.Contains(name, ":") {
			return nil, &abi.HostError{Op: "http.Do", Message: "header name " + strconv.Quote(name) + " must not contain ':'"}
		}
		if strings.Contains(value, ":") {
			return nil, &abi.HostError{Op: "http.Do", Message: "the value of header " + strconv.Quote(name) + " must not contain ':'"}
		}
		target += "::" + name + ":" + value
	}
	h := abi.Current()
	body, err := abi.Result("http.Do", h.FetchURL(number, []byte(target), r.Body, abi.Ident()))
	if err != nil {
		return nil, statusError(err)
	}
	return body, nil
}

// statusError turns the host's "<status>: <body>" message into a *StatusError.
func statusError(err error) error {
	hostErr, ok := err.(*abi.HostError)
	if !ok {
		return err
	}
	status, body, found := strings.Cut(hostErr.Message, ": ")
	if !found || len(status) != 3 {
		return err
	}
	code, convErr := strconv.Atoi(status)
	if convErr != nil || code < 100 || code > 599 {
		return err
	}
	return &StatusError{StatusCode: code, Body: []byte(body)}
}

// Get sends a GET request.
func Get(url string) ([]byte, error) {
	return Do(&Request{Method: MethodGet, URL: url})
}

// Post sends a POST request with a body of the given content type.
func Post(url, contentType string, body []byte) ([]byte, error) {
	return Do(&Request{Method: MethodPost, URL: url, Header: map[string]string{"Content-Type": contentType}, Body: body})
}
