package e2rx_test

import (
	"errors"
	"fmt"
	"testing"

	"e2rx"
	"e2rx/e2rxtest"
)

func TestNewErrorChoosesTheCode(t *testing.T) {
	out := e2rxtest.New().Run(func([]byte) ([]byte, error) { return nil, e2rx.NewError(404, "no user 2") }, nil)
	if out.Err == nil || out.Err.Code != 404 || out.Err.Message != "no user 2" {
		t.Fatalf("got %s", out)
	}
}

func TestAWrappedRunErrorKeepsItsCodeWithTheWholeMessage(t *testing.T) {
	out := e2rxtest.New().Run(func([]byte) ([]byte, error) {
		return nil, fmt.Errorf("loading user: %w", e2rx.NewError(404, "no user 2"))
	}, nil)
	if out.Err == nil || out.Err.Code != 404 || out.Err.Message != "loading user: no user 2" {
		t.Fatalf("got %s", out)
	}
}

func TestAPlainErrorIs500(t *testing.T) {
	out := e2rxtest.New().Run(func([]byte) ([]byte, error) { return nil, errors.New("broken") }, nil)
	if out.Err == nil || out.Err.Code != 500 || out.Err.Message != "broken" || out.String() != "error 500 broken" {
		t.Fatalf("got %s", out)
	}
}

func TestErrorCode(t *testing.T) {
	if code, message := e2rx.ErrorCode(e2rx.NewError(409, "taken")); code != 409 || message != "taken" {
		t.Fatalf("ErrorCode = %d %q", code, message)
	}
	if code, _ := e2rx.ErrorCode(errors.New("x")); code != 500 {
		t.Fatalf("ErrorCode of a plain error = %d", code)
	}
}

func TestHandleRegistersTheHandlerThatRunWithNilCalls(t *testing.T) {
	e2rx.Handle(func(input []byte) ([]byte, error) { return append([]byte("registered "), input...), nil })
	defer e2rx.Handle(nil)
	out := e2rxtest.New().Run(nil, []byte("x"))
	if string(out.Output) != "registered x" {
		t.Fatalf("got %s", out)
	}
}

func TestWithoutAHandlerTheCallSaysHowToRegisterOne(t *testing.T) {
	out := e2rxtest.New().Run(nil, nil)
	if out.Err == nil || out.Err.Code != 500 || out.Err.Message != "no handler: call e2rx.Handle(yourFunction) in an init function of package main" {
		t.Fatalf("got %s", out)
	}
}
