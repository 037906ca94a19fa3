package abi

import (
	"errors"
	"strings"
	"testing"
)

// scripted is a host whose FFI slot and answers a test sets directly.
type scripted struct {
	slot      []byte
	slotSet   bool
	getResult int32
	result    []byte
	errCode   int32
	errMsg    string
	returned  int
	idents    []int32
}

func (s *scripted) ReturnResult(data []byte, ident int32) {
	s.returned++
	s.result = append([]byte{}, data...)
	s.idents = append(s.idents, ident)
}

func (s *scripted) ReturnError(code int32, message []byte, ident int32) {
	s.returned++
	s.errCode, s.errMsg = code, string(message)
	s.idents = append(s.idents, ident)
}

func (s *scripted) GetFFIResult(dst []byte, ident int32) int32 {
	s.idents = append(s.idents, ident)
	if s.getResult != 0 {
		return s.getResult
	}
	copy(dst, s.slot)
	s.slotSet = false
	return 0
}

func (s *scripted) AddFFIVar(_, _ []byte, _ int32) int32               { return 0 }
func (s *scripted) FetchURL(int32, []byte, []byte, int32) int32        { return 0 }
func (s *scripted) GraphQLQuery(_, _ []byte, _ int32) int32            { return 0 }
func (s *scripted) CacheSet(_, _ []byte, _, _ int32) int32             { return 0 }
func (s *scripted) CacheGet([]byte, int32) int32                       { return 0 }
func (s *scripted) LogMsg([]byte, int32, int32)                        {}
func (s *scripted) RequestGetField(int32, []byte, int32) int32         { return 0 }
func (s *scripted) RequestSetField(int32, []byte, []byte, int32) int32 { return 0 }
func (s *scripted) RespSetHeader(_, _ []byte, _ int32)                 {}
func (s *scripted) GetStaticFile([]byte, int32) int32                  { return 0 }
func (s *scripted) DBExec(int32, []byte, int32) int32                  { return 0 }
func (s *scripted) GetSecretValue([]byte, int32) int32                 { return 0 }

type coded struct{ code int32 }

func (c coded) Error() string       { return "coded" }
func (c coded) RunErrorCode() int32 { return c.code }

func TestResultCollectsDataOfTheReturnedSize(t *testing.T) {
	host := &scripted{slot: []byte("hello")}
	defer Use(host)()
	data, err := Result("op", 5)
	if err != nil || string(data) != "hello" {
		t.Fatalf("Result(5) = %q, %v", data, err)
	}
}

func TestResultCollectsAnEmptyResultToo(t *testing.T) {
	host := &scripted{slotSet: true}
	defer Use(host)()
	data, err := Result("op", 0)
	if err != nil || len(data) != 0 {
		t.Fatalf("Result(0) = %q, %v", data, err)
	}
	if len(host.idents) != 1 {
		t.Fatalf("get_ffi_result was called %d times, want 1 (an empty result must be collected)", len(host.idents))
	}
}

func TestResultTurnsANegativeSizeIntoTheHostMessage(t *testing.T) {
	host := &scripted{slot: []byte("key not found")}
	defer Use(host)()
	_, err := Result("cache.Get", -13)
	var hostErr *HostError
	if !errors.As(err, &hostErr) || hostErr.Message != "key not found" || hostErr.Op != "cache.Get" {
		t.Fatalf("Result(-13) error = %#v", err)
	}
	if err.Error() != "cache.Get: key not found" {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestResultOfMinusOneIsTheUnknownHostErrorWithoutCollecting(t *testing.T) {
	host := &scripted{}
	defer Use(host)()
	_, err := Result("op", -1)
	if err == nil || !strings.HasSuffix(err.Error(), UnknownHostError) {
		t.Fatalf("Result(-1) error = %v", err)
	}
	if len(host.idents) != 0 {
		t.Fatalf("get_ffi_result was called after -1")
	}
}

func TestResultFailsWhenTheHostHasNothingToCollect(t *testing.T) {
	host := &scripted{getResult: -1}
	defer Use(host)()
	if _, err := Result("op", 4); err == nil || !strings.Contains(err.Error(), UnknownHostError) {
		t.Fatalf("Result with get_ffi_result -1: error = %v", err)
	}
}

func TestInvokeReturnsTheOutputWithTheIdent(t *testing.T) {
	host := &scripted{}
	defer Use(host)()
	var seen int32
	Invoke(func(input []byte) ([]byte, error) {
		seen = Ident()
		return append([]byte("hello "), input...), nil
	}, []byte("world"), 42)
	if string(host.result) != "hello world" || host.returned != 1 || host.idents[0] != 42 || seen != 42 {
		t.Fatalf("result %q, returned %d, idents %v, ident in handler %d", host.result, host.returned, host.idents, seen)
	}
	if Ident() != 0 {
		t.Fatalf("Ident() after the call = %d, want 0", Ident())
	}
}

func TestInvokeGivesAPlainErrorCode500(t *testing.T) {
	host := &scripted{}
	defer Use(host)()
	Invoke(func([]byte) ([]byte, error) { return nil, errors.New("broken") }, nil, 7)
	if host.errCode != 500 || host.errMsg != "broken" || host.returned != 1 {
		t.Fatalf("error %d %q, returned %d", host.errCode, host.errMsg, host.returned)
	}
}

func TestInvokeTakesTheCodeOfAWrappedCodedError(t *testing.T) {
	host := &scripted{}
	defer Use(host)()
	Invoke(func([]byte) ([]byte, error) {
		return nil, errors.Join(errors.New("loading"), coded{code: 404})
	}, nil, 7)
	if host.errCode != 404 || host.errMsg != "loading\ncoded" {
		t.Fatalf("error %d %q", host.errCode, host.errMsg)
	}
}

func TestInvokeWithoutAHandlerSaysHowToRegisterOne(t *testing.T) {
	host := &scripted{}
	defer Use(host)()
	Invoke(nil, nil, 7)
	if host.errCode != 500 || host.errMsg != NoHandlerMessage {
		t.Fatalf("error %d %q", host.errCode, host.errMsg)
	}
}

func TestSetHandlerRegisters(t *testing.T) {
	defer SetHandler(Registered())
	h := func([]byte) ([]byte, error) { return nil, nil }
	SetHandler(h)
	if Registered() == nil {
		t.Fatal("Registered() is nil after SetHandler")
	}
}

func TestUseRestoresThePreviousHost(t *testing.T) {
	before := Current()
	a, b := &scripted{}, &scripted{}
	restoreA := Use(a)
	restoreB := Use(b)
	if Current() != Host(b) {
		t.Fatal("Current() is not the last host used")
	}
	restoreB()
	if Current() != Host(a) {
		t.Fatal("restore did not bring back the previous host")
	}
	restoreA()
	if Current() != before {
		t.Fatal("restore did not bring back the first host")
	}
}
