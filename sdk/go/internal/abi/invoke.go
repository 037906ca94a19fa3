package abi

import "errors"

// DefaultErrorCode is the code of an error returned by a handler that does not carry one (as in Suborbital's TinyGo
// SDK): it becomes HTTP 500.
const DefaultErrorCode int32 = 500

// NoHandlerMessage is the error of a call to a module whose code never registered a handler.
const NoHandlerMessage = "no handler: call e2rx.Handle(yourFunction) in an init function of package main"

// Coded is implemented by errors that choose their Runnable error code (e2rx.RunError).
type Coded interface {
	error
	RunErrorCode() int32
}

var registered func(input []byte) ([]byte, error)

// SetHandler registers the function that every invocation runs.
func SetHandler(h func(input []byte) ([]byte, error)) {
	registered = h
}

// Registered is the registered handler (nil before SetHandler).
func Registered() func(input []byte) ([]byte, error) {
	return registered
}

// ErrorCode is the Runnable error code and message that err becomes: the code of the first Coded error in its
// chain (errors.As), else DefaultErrorCode; the message is err.Error().
func ErrorCode(err error) (int32, string) {
	var coded Coded
	if errors.As(err, &coded) {
		return coded.RunErrorCode(), err.Error()
	}
	return DefaultErrorCode, err.Error()
}

// Invoke runs one invocation of handler, as run_e does: it remembers the ident for the host calls the handler makes,
// runs the handler with the input, and returns its output (return_result) or its error (return_error); a nil
// handler is the error NoHandlerMessage. A panic is not recovered: in a WebAssembly build it traps, and the host
// discards the instance.
func Invoke(handler func(input []byte) ([]byte, error), input []byte, id int32) {
	ident = id
	defer func() { ident = 0 }()
	h := current
	if handler == nil {
		h.ReturnError(DefaultErrorCode, []byte(NoHandlerMessage), id)
		return
	}
	output, err := handler(input)
	if err != nil {
		code, message := ErrorCode(err)
		h.ReturnError(code, []byte(message), id)
		return
	}
	h.ReturnResult(output, id)
}
