// Package abi is the guest side of the Runnable host ABI (Atmo v0.4.x, 16 host functions), behind the Host
// interface so that the SDK runs on the host too: in a WebAssembly build (GOOS=wasip1) Host is the real host's
// imports (module "env"); in `go test` on the host it is whatever a test installs with Use (package e2rxtest).
//
// Every host function takes only i32 parameters: pointers into the module's memory, sizes, and last the
// invocation's ident, which the host passed to run_e. Host hides the pointers: it takes byte slices.
package abi

// Host is the host ABI as the guest calls it, one method per host function (docs/reference/host-abi.md §5).
// Methods that return a size follow the FFI-result protocol: see Result.
type Host interface {
	ReturnResult(data []byte, ident int32)
	ReturnError(code int32, message []byte, ident int32)
	GetFFIResult(dst []byte, ident int32) int32
	AddFFIVar(name, value []byte, ident int32) int32
	FetchURL(method int32, url, body []byte, ident int32) int32
	GraphQLQuery(endpoint, query []byte, ident int32) int32
	CacheSet(key, value []byte, ttlSeconds int32, ident int32) int32
	CacheGet(key []byte, ident int32) int32
	LogMsg(message []byte, level int32, ident int32)
	RequestGetField(fieldType int32, key []byte, ident int32) int32
	RequestSetField(fieldType int32, key, value []byte, ident int32) int32
	RespSetHeader(key, value []byte, ident int32)
	GetStaticFile(name []byte, ident int32) int32
	DBExec(queryType int32, name []byte, ident int32) int32
	GetSecretValue(key []byte, ident int32) int32
}

// Field types of request_get_field / request_set_field.
const (
	FieldMeta   int32 = 0
	FieldBody   int32 = 1
	FieldHeader int32 = 2
	FieldParams int32 = 3
	FieldState  int32 = 4
	FieldQuery  int32 = 5
)

// Log levels of log_msg.
const (
	LevelError int32 = 1
	LevelWarn  int32 = 2
	LevelInfo  int32 = 3
	LevelDebug int32 = 4
)

// Query types of db_exec (the host's numbering).
const (
	QueryInsert int32 = 0
	QuerySelect int32 = 1
	QueryUpdate int32 = 2
	QueryDelete int32 = 3
)

var (
	current Host = defaultHost()
	ident   int32
)

// Current is the host the SDK calls.
func Current() Host {
	return current
}

// Ident is the ident of the invocation in progress (0 outside of one).
func Ident() int32 {
	return ident
}

// Use makes h the host the SDK calls, until the returned function restores the previous one. Tests use it
// (through package e2rxtest); a WebAssembly build never needs it.
func Use(h Host) (restore func()) {
	previous := current
	current = h
	return func() { current = previous }
}
