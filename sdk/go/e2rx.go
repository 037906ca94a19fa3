// Package e2rx is the Go SDK of e2rx functions: a function is a Go main package that registers a Handler in an
// init function, built with `e2rx build` (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared) to a Runnable
// module that e2rx, and Atmo v0.4.x, run.
//
//	package main
//
//	import "e2rx"
//
//	func init() {
//		e2rx.Handle(hello)
//	}
//
//	func hello(input []byte) ([]byte, error) {
//		if len(input) == 0 {
//			return nil, e2rx.NewError(400, "send a name")
//		}
//		return append([]byte("hello "), input...), nil
//	}
//
//	func main() {}
//
// The packages under e2rx reach the host: req (the request), resp (response headers), cache, http, graphql, db,
// file (static files), secrets and log. In `go test` on the host they call the fake host of package e2rxtest.
package e2rx

import (
	"strconv"

	"e2rx/internal/abi"
)

// Handler is a function's code. It gets the input, which is the request body (also in later steps of a handler:
// earlier steps' outputs are in the request state, see req.State), and returns the output or an error.
//
// An error becomes the Runnable error of the call: its code is the code of the first RunError in the error's chain
// (errors.As), or 500; its message is err.Error(). For a request, a code from 200 to 599 is the HTTP status, and the
// body is {"status": <code>, "message": "<message>"}.
type Handler func(input []byte) ([]byte, error)

// Handle registers the handler that every call of the function runs. Call it from an init function of package
// main: a module built with -buildmode=c-shared runs init functions when it starts, never main. Registering again
// replaces the handler.
func Handle(h Handler) {
	abi.SetHandler(h)
}

// RunError is an error with a code, which a Handler returns to choose the status of its failure.
type RunError struct {
	// Code is the Runnable error code: the HTTP status for a request when it is from 200 to 599 (else 500).
	Code int
	// Message is the error's text.
	Message string
}

// NewError is an error with a code (an HTTP status, by convention) and a message.
func NewError(code int, message string) error {
	return &RunError{Code: code, Message: message}
}

// Error is the message.
func (e *RunError) Error() string {
	return e.Message
}

// RunErrorCode is the code, as the host receives it.
func (e *RunError) RunErrorCode() int32 {
	return int32(e.Code)
}

// String shows the code and the message.
func (e *RunError) String() string {
	return strconv.Itoa(e.Code) + " " + e.Message
}

// HostError is an error returned by the host for a call of the SDK (the cache, an HTTP request, a query, ...): Op
// names the SDK function, Message is the host's message. A Handler that returns it unchanged fails with code 500.
type HostError = abi.HostError

// ErrorCode is the code and message that err becomes when a Handler returns it: the code of the first RunError in
// its chain, or 500, and err.Error().
func ErrorCode(err error) (code int, message string) {
	c, m := abi.ErrorCode(err)
	return int(c), m
}
