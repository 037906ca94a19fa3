// Package e2rxtest runs e2rx functions in `go test`, on the host, against a fake e2rx: a Host that answers every
// host function of the ABI as e2rx does (the same results, error messages and FFI protocol), from values the test
// sets: the request, the cache, HTTP and GraphQL answers, query results, static files and secrets. What the function
// did (its output or error, log lines, response headers, changes to the request and its state) is there to check.
//
//	func TestHello(t *testing.T) {
//		host := e2rxtest.New()
//		host.Request.Params["name"] = "ada"
//		out := host.Run(hello, []byte("world"))
//		if out.Err != nil || string(out.Output) != "hello ada" {
//			t.Fatalf("got %s", out)
//		}
//	}
//
// A Host serves one call at a time; Run calls of different hosts are serialised (the SDK's state is global, as in
// a WebAssembly instance).
package e2rxtest

import (
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"e2rx"
	"e2rx/internal/abi"
)

// CapabilityNotEnabled is the host's error for a capability the test did not set up (as for a disabled capability
// in e2rx).
const CapabilityNotEnabled = "capability is not enabled"

// Request is the request a call runs for. Run sets Body to the input; a function's changes (req.SetState, ...)
// are made here.
type Request struct {
	// Method is the HTTP method (SCHED for a schedule, STREAM for a stream message).
	Method string
	// URL is the request URI: the path and the query string.
	URL string
	// ID is the request id.
	ID string
	// Body is the raw body; Run sets it to the input.
	Body []byte
	// Header holds the request headers, by lower-case name.
	Header map[string]string
	// Params holds the route's path parameters.
	Params map[string]string
	// State holds the handler's state: earlier steps' outputs by name.
	State map[string][]byte
}

// HTTPRequest is an outgoing request of the function.
type HTTPRequest struct {
	// Method is GET, HEAD, OPTIONS, POST, PUT, PATCH or DELETE.
	Method string
	// URL is the URL without the headers.
	URL string
	// Header holds the headers the function set.
	Header map[string]string
	// Body is the body.
	Body []byte
}

// Query is a named query the function ran.
type Query struct {
	// Type is insert, select, update or delete.
	Type string
	// Name is the query's name in the Directive.
	Name string
	// Args are the arguments, in order, as text.
	Args []string
}

// Message (e2rx) is a message the function published with package publish.
type Message struct {
	// Connection is "nats" or "kafka".
	Connection string
	// Target is the subject or topic.
	Target string
	Body   []byte
	// Header holds the headers the function gave.
	Header map[string]string
	// Key is the Kafka key ("" for none).
	Key string
}

// LogLine is a line the function logged.
type LogLine struct {
	// Level is debug, info, warn or error.
	Level string
	// Message is the text.
	Message string
}

// Outcome is how a call ended.
type Outcome struct {
	// Output is the function's output (nil when it failed).
	Output []byte
	// Err is the function's error, with its code; nil when it succeeded.
	Err *e2rx.RunError
}

// String shows the output, or the error's code and message.
func (o Outcome) String() string {
	if o.Err != nil {
		return "error " + o.Err.String()
	}
	return strconv.Quote(string(o.Output))
}

// Host is a fake e2rx for one function. Set its fields before Run; nil handlers (HTTP, GraphQL, DB) and a nil Files
// map answer like a disabled capability, with the error "capability is not enabled".
type Host struct {
	// Request is the request of the next call, changed by the call.
	Request Request
	// Cache holds the cache's values.
	Cache map[string][]byte
	// CacheTTL holds the time to live given with each value set during calls (0: no expiry).
	CacheTTL map[string]time.Duration
	// RefuseCache makes every cache.Set fail, as a cache with allowSet: false or a Redis failure.
	RefuseCache bool
	// HTTP answers the function's HTTP requests: a status from 200 to 299 gives the body to the function, another
	// status the error "<status>: <body>", an error its message.
	HTTP func(r HTTPRequest) (status int, body []byte, err error)
	// GraphQL answers the function's GraphQL queries with the response (JSON) or an error.
	GraphQL func(endpoint, query string) ([]byte, error)
	// DB answers the function's named queries: the rows of a select as a JSON array, or the JSON
	// {"lastInsertID":n,"rowsAffected":n} of the others; an error's message reaches the function.
	DB func(q Query) ([]byte, error)
	// Files holds the static files, by name under static/.
	Files map[string][]byte
	// Secrets holds the secrets the app allows.
	Secrets map[string]string
	// PublishAllow (e2rx) is capabilities.publish.allow: the subjects and topics the function may publish to, with
	// NATS wildcards (`*` one token, `>` the rest). nil: publishing is off.
	PublishAllow []string

	// Published (e2rx) holds the messages published during calls that succeeded, in order (e2rx sends a run's
	// messages only when it succeeds).
	Published []Message

	// Logs holds the lines logged during calls.
	Logs []LogLine
	// RespHeaders holds the response headers set during calls.
	RespHeaders map[string]string

	calls int32
}

// New is a Host with an empty POST request to / and an empty, working cache.
func New() *Host {
	return &Host{
		Request: Request{
			Method: "POST",
			URL:    "/",
			ID:     "00000000-0000-4000-8000-000000000000",
			Header: map[string]string{},
			Params: map[string]string{},
			State:  map[string][]byte{},
		},
		Cache:       map[string][]byte{},
		CacheTTL:    map[string]time.Duration{},
		RespHeaders: map[string]string{},
	}
}

var running sync.Mutex

// Run calls handler with input as e2rx would: the request body is the input, the handler's host calls are answered
// by h, and its result or error is the Outcome. A nil handler is the one registered with e2rx.Handle (by the init
// functions of the package under test). A panic of the handler is not recovered.
func (h *Host) Run(handler e2rx.Handler, input []byte) Outcome {
	running.Lock()
	defer running.Unlock()
	h.init()
	h.Request.Body = input
	h.calls++
	var outcome Outcome
	f := &fake{Host: h, ident: h.calls, outcome: &outcome}
	restore := abi.Use(f)
	defer restore()
	fn := abi.Registered()
	if handler != nil {
		fn = handler
	}
	abi.Invoke(fn, input, f.ident)
	if outcome.Err == nil {
		h.Published = append(h.Published, f.published...)
	}
	return outcome
}

func (h *Host) init() {
	if h.Request.Header == nil {
		h.Request.Header = map[string]string{}
	}
	if h.Request.Params == nil {
		h.Request.Params = map[string]string{}
	}
	if h.Request.State == nil {
		h.Request.State = map[string][]byte{}
	}
	if h.Cache == nil {
		h.Cache = map[string][]byte{}
	}
	if h.CacheTTL == nil {
		h.CacheTTL = map[string]time.Duration{}
	}
	if h.RespHeaders == nil {
		h.RespHeaders = map[string]string{}
	}
}

// fake is the ABI of one call, answered from a Host: the call's ident, its FFI slot and query arguments, and its
// outcome (the first return_result or return_error wins).
type fake struct {
	*Host
	ident     int32
	published []Message
	pending   *[]byte
	ffiVars   []string
	outcome   *Outcome
	settled   bool
}

func (h *fake) ReturnResult(data []byte, ident int32) {
	if ident != h.ident || h.settled {
		return
	}
	h.settled = true
	h.outcome.Output = append([]byte{}, data...)
}

func (h *fake) ReturnError(code int32, message []byte, ident int32) {
	if ident != h.ident || h.settled {
		return
	}
	h.settled = true
	h.outcome.Err = &e2rx.RunError{Code: int(code), Message: string(message)}
}

// store puts a result in the FFI slot and returns its size (negative for an error message).
func (h *fake) store(data []byte, err error) int32 {
	if err != nil {
		message := []byte(err.Error())
		h.pending = &message
		return -int32(len(message))
	}
	if data == nil {
		data = []byte{}
	}
	h.pending = &data
	return int32(len(data))
}

// ffi runs an FFI host function: -1 for another ident or while a result is uncollected (the single-pending rule).
func (h *fake) ffi(ident int32, call func() ([]byte, error)) int32 {
	if ident != h.ident || h.pending != nil {
		return -1
	}
	return h.store(call())
}

// GetFFIResult copies the pending result to dst and empties the slot.
func (h *fake) GetFFIResult(dst []byte, ident int32) int32 {
	if ident != h.ident || h.pending == nil {
		return -1
	}
	copy(dst, *h.pending)
	h.pending = nil
	return 0
}

// AddFFIVar adds an argument of the next query.
func (h *fake) AddFFIVar(_, value []byte, ident int32) int32 {
	if ident != h.ident {
		return -1
	}
	h.ffiVars = append(h.ffiVars, string(value))
	return 0
}

var methods = []string{"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}

// FetchURL answers with h.HTTP.
func (h *fake) FetchURL(method int32, rawURL, body []byte, ident int32) int32 {
	if ident != h.ident || h.pending != nil {
		return -1
	}
	if method < 0 || int(method) >= len(methods) {
		return -2
	}
	target, header, ok := splitHeaders(string(rawURL))
	if !ok {
		return -2
	}
	if h.HTTP == nil {
		return h.store(nil, errors.New(CapabilityNotEnabled))
	}
	status, answer, err := h.HTTP(HTTPRequest{Method: methods[method], URL: target, Header: header, Body: append([]byte{}, body...)})
	if err != nil {
		return h.store(nil, err)
	}
	if status < 200 || status > 299 {
		return h.store(nil, errors.New(strconv.Itoa(status)+": "+string(answer)))
	}
	return h.store(answer, nil)
}

// splitHeaders splits a fetch_url URL into the URL and its ::Name:Value headers.
func splitHeaders(raw string) (string, map[string]string, bool) {
	header := map[string]string{}
	start := 0
	if end := strings.Index(raw, "]"); strings.Contains(raw, "://[") && end > 0 {
		start = end
	}
	at := strings.Index(raw[start:], "::")
	if at < 0 {
		return raw, header, true
	}
	for _, segment := range strings.Split(raw[start+at+2:], "::") {
		parts := strings.Split(segment, ":")
		if len(parts) != 2 {
			return "", nil, false
		}
		header[parts[0]] = parts[1]
	}
	return raw[:start+at], header, true
}

// GraphQLQuery answers with h.GraphQL.
func (h *fake) GraphQLQuery(endpoint, query []byte, ident int32) int32 {
	return h.ffi(ident, func() ([]byte, error) {
		if h.GraphQL == nil {
			return nil, errors.New(CapabilityNotEnabled)
		}
		return h.GraphQL(string(endpoint), string(query))
	})
}

// CacheSet stores in h.Cache (-2 when h.RefuseCache).
func (h *fake) CacheSet(key, value []byte, ttlSeconds int32, ident int32) int32 {
	if ident != h.ident {
		return -1
	}
	if h.RefuseCache {
		return -2
	}
	h.Cache[string(key)] = append([]byte{}, value...)
	h.CacheTTL[string(key)] = time.Duration(ttlSeconds) * time.Second
	return 0
}

// CacheGet reads h.Cache.
func (h *fake) CacheGet(key []byte, ident int32) int32 {
	return h.ffi(ident, func() ([]byte, error) {
		value, ok := h.Cache[string(key)]
		if !ok {
			return nil, errors.New("key not found")
		}
		return append([]byte{}, value...), nil
	})
}

var levels = map[int32]string{abi.LevelError: "error", abi.LevelWarn: "warn", abi.LevelInfo: "info", abi.LevelDebug: "debug"}

// LogMsg appends to h.Logs (an unknown level is info).
func (h *fake) LogMsg(message []byte, level int32, ident int32) {
	if ident != h.ident {
		return
	}
	name, ok := levels[level]
	if !ok {
		name = "info"
	}
	h.Logs = append(h.Logs, LogLine{Level: name, Message: string(message)})
}

// RequestGetField reads h.Request as e2rx does (docs/reference/host-abi.md §6).
func (h *fake) RequestGetField(fieldType int32, key []byte, ident int32) int32 {
	if ident != h.ident || h.pending != nil {
		return -1
	}
	r := &h.Request
	k := string(key)
	switch fieldType {
	case abi.FieldMeta:
		switch k {
		case "method":
			return h.store([]byte(r.Method), nil)
		case "url":
			return h.store([]byte(r.URL), nil)
		case "id":
			return h.store([]byte(r.ID), nil)
		case "body":
			return h.store(append([]byte{}, r.Body...), nil)
		}
		return h.store(nil, nil)
	case abi.FieldBody:
		if len(r.Body) == 0 {
			return h.store(nil, nil)
		}
		var object map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &object); err != nil {
			return -1
		}
		var value string
		if err := json.Unmarshal(object[k], &value); err != nil {
			return -1
		}
		return h.store([]byte(value), nil)
	case abi.FieldHeader:
		return h.store([]byte(r.Header[strings.ToLower(k)]), nil)
	case abi.FieldParams:
		return h.store([]byte(r.Params[k]), nil)
	case abi.FieldState:
		return h.store(append([]byte{}, r.State[k]...), nil)
	case abi.FieldQuery:
		parsed, err := url.Parse(r.URL)
		if err != nil {
			return h.store(nil, nil)
		}
		return h.store([]byte(parsed.Query().Get(k)), nil)
	}
	return -1
}

// RequestSetField changes h.Request as e2rx does.
func (h *fake) RequestSetField(fieldType int32, key, value []byte, ident int32) int32 {
	return h.ffi(ident, func() ([]byte, error) {
		r := &h.Request
		k := string(key)
		switch fieldType {
		case abi.FieldMeta:
			switch k {
			case "method":
				r.Method = string(value)
			case "url":
				r.URL = string(value)
			case "body":
				r.Body = append([]byte{}, value...)
			case "id":
			default:
				return nil, errors.New("key not found")
			}
			return nil, nil
		case abi.FieldBody:
			if len(r.Body) == 0 {
				return nil, nil
			}
			var object map[string]any
			if err := json.Unmarshal(r.Body, &object); err != nil {
				return nil, errors.New("failed to loadBodyValues: " + err.Error())
			}
			object[k] = string(value)
			body, err := json.Marshal(object)
			if err != nil {
				return nil, err
			}
			r.Body = body
			return nil, nil
		case abi.FieldHeader:
			r.Header[k] = string(value)
			return nil, nil
		case abi.FieldParams:
			r.Params[k] = string(value)
			return nil, nil
		case abi.FieldState:
			r.State[k] = append([]byte{}, value...)
			return nil, nil
		}
		return nil, errors.New("invalid field type")
	})
}

// RespSetHeader sets h.RespHeaders[key].
func (h *fake) RespSetHeader(key, value []byte, ident int32) {
	if ident != h.ident {
		return
	}
	h.RespHeaders[string(key)] = string(value)
}

// GetStaticFile reads h.Files.
func (h *fake) GetStaticFile(name []byte, ident int32) int32 {
	return h.ffi(ident, func() ([]byte, error) {
		if h.Files == nil {
			return nil, errors.New(CapabilityNotEnabled)
		}
		content, ok := h.Files[string(name)]
		if !ok {
			return nil, errors.New("file does not exist")
		}
		return append([]byte{}, content...), nil
	})
}

var queryTypes = []string{"insert", "select", "update", "delete"}

// DBExec answers with h.DB, with the arguments added since the last query.
func (h *fake) DBExec(queryType int32, name []byte, ident int32) int32 {
	if ident != h.ident {
		return -1
	}
	args := h.ffiVars
	h.ffiVars = nil
	return h.ffi(ident, func() ([]byte, error) {
		if h.DB == nil {
			return nil, errors.New(CapabilityNotEnabled)
		}
		if queryType < 0 || int(queryType) >= len(queryTypes) {
			return nil, errors.New("query type incorrect")
		}
		return h.DB(Query{Type: queryTypes[queryType], Name: string(name), Args: append([]string{}, args...)})
	})
}

// GetSecretValue reads h.Secrets (not guarded by the single-pending rule, as in e2rx).
func (h *fake) GetSecretValue(key []byte, ident int32) int32 {
	if ident != h.ident {
		return -1
	}
	return h.store([]byte(h.Secrets[string(key)]), nil)
}

// LogText is the logged lines, one per line as "level: message".
func (h *Host) LogText() string {
	var b strings.Builder
	for _, line := range h.Logs {
		b.WriteString(line.Level + ": " + line.Message + "\n")
	}
	return b.String()
}

// CacheKeys is the keys of the cache, sorted.
func (h *Host) CacheKeys() []string {
	return slices.Sorted(maps.Keys(h.Cache))
}

// Publish (e2rx) answers e2rx.publish as e2rx does: -2 when PublishAllow is nil, -3 for a target it does not allow,
// -6 for a malformed message; otherwise the message waits with the call (see Host.Published).
func (h *fake) Publish(connection int32, target, body, headers, key []byte, ident int32) int32 {
	if ident != h.ident {
		return -1
	}
	if h.PublishAllow == nil {
		return -2
	}
	kind := map[int32]string{1: "nats", 2: "kafka"}[connection]
	if kind == "" {
		return -4
	}
	if len(target) == 0 || (kind == "nats" && (strings.ContainsAny(string(target), "*> \t\n") || len(key) > 0)) {
		return -6
	}
	if !slices.ContainsFunc(h.PublishAllow, func(pattern string) bool { return targetMatches(pattern, string(target)) }) {
		return -3
	}
	header := map[string]string{}
	for _, line := range strings.Split(string(headers), "\n") {
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return -6
		}
		header[name] = value
	}
	h.published = append(h.published, Message{Connection: kind, Target: string(target), Body: append([]byte{}, body...), Header: header, Key: string(key)})
	return 0
}

// targetMatches is the allow-list rule of capabilities.publish: tokens split on ".", `*` matches one, a last `>`
// one or more.
func targetMatches(pattern, target string) bool {
	want, have := strings.Split(pattern, "."), strings.Split(target, ".")
	for i, token := range want {
		if token == ">" && i == len(want)-1 {
			return len(have) > i
		}
		if i >= len(have) || have[i] == "" || (token != "*" && token != have[i]) {
			return false
		}
	}
	return len(want) == len(have)
}
