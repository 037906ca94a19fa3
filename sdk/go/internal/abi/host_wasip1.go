package abi

import "unsafe"

// The host functions, imported from module "env". Pointers are offsets into this module's memory; a Go pointer is
// one on GOARCH=wasm. Slices passed to them stay reachable (they are arguments of the wasmHost method in progress)
// and Go's garbage collector does not move objects, so the host reads and writes the right bytes.

//go:wasmimport env return_result
func returnResult(ptr unsafe.Pointer, size int32, ident int32)

//go:wasmimport env return_error
func returnError(code int32, ptr unsafe.Pointer, size int32, ident int32)

//go:wasmimport env get_ffi_result
func getFFIResult(ptr unsafe.Pointer, ident int32) int32

//go:wasmimport env add_ffi_var
func addFFIVar(namePtr unsafe.Pointer, nameSize int32, valuePtr unsafe.Pointer, valueSize int32, ident int32) int32

//go:wasmimport env fetch_url
func fetchURL(method int32, urlPtr unsafe.Pointer, urlSize int32, bodyPtr unsafe.Pointer, bodySize int32, ident int32) int32

//go:wasmimport env graphql_query
func graphqlQuery(endpointPtr unsafe.Pointer, endpointSize int32, queryPtr unsafe.Pointer, querySize int32, ident int32) int32

//go:wasmimport env cache_set
func cacheSet(keyPtr unsafe.Pointer, keySize int32, valuePtr unsafe.Pointer, valueSize int32, ttl int32, ident int32) int32

//go:wasmimport env cache_get
func cacheGet(keyPtr unsafe.Pointer, keySize int32, ident int32) int32

//go:wasmimport env log_msg
func logMsg(ptr unsafe.Pointer, size int32, level int32, ident int32)

//go:wasmimport env request_get_field
func requestGetField(fieldType int32, keyPtr unsafe.Pointer, keySize int32, ident int32) int32

//go:wasmimport env request_set_field
func requestSetField(fieldType int32, keyPtr unsafe.Pointer, keySize int32, valuePtr unsafe.Pointer, valueSize int32, ident int32) int32

//go:wasmimport env resp_set_header
func respSetHeader(keyPtr unsafe.Pointer, keySize int32, valuePtr unsafe.Pointer, valueSize int32, ident int32)

//go:wasmimport env get_static_file
func getStaticFile(namePtr unsafe.Pointer, nameSize int32, ident int32) int32

//go:wasmimport env db_exec
func dbExec(queryType int32, namePtr unsafe.Pointer, nameSize int32, ident int32) int32

//go:wasmimport env get_secret_value
func getSecretValue(keyPtr unsafe.Pointer, keySize int32, ident int32) int32

// ptr is the address of a slice's first byte (nil for an empty slice: the host reads nothing there).
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}

func size(b []byte) int32 {
	return int32(len(b))
}

// wasmHost is the real host: each method calls the import of the same name.
type wasmHost struct{}

func defaultHost() Host { return wasmHost{} }

func (wasmHost) ReturnResult(data []byte, ident int32) {
	returnResult(ptr(data), size(data), ident)
}

func (wasmHost) ReturnError(code int32, message []byte, ident int32) {
	returnError(code, ptr(message), size(message), ident)
}

func (wasmHost) GetFFIResult(dst []byte, ident int32) int32 {
	// The host writes len(dst) bytes at the pointer: an empty result still needs a valid address.
	if len(dst) == 0 {
		var none [1]byte
		return getFFIResult(unsafe.Pointer(&none[0]), ident)
	}
	return getFFIResult(ptr(dst), ident)
}

func (wasmHost) AddFFIVar(name, value []byte, ident int32) int32 {
	return addFFIVar(ptr(name), size(name), ptr(value), size(value), ident)
}

func (wasmHost) FetchURL(method int32, url, body []byte, ident int32) int32 {
	return fetchURL(method, ptr(url), size(url), ptr(body), size(body), ident)
}

func (wasmHost) GraphQLQuery(endpoint, query []byte, ident int32) int32 {
	return graphqlQuery(ptr(endpoint), size(endpoint), ptr(query), size(query), ident)
}

func (wasmHost) CacheSet(key, value []byte, ttlSeconds int32, ident int32) int32 {
	return cacheSet(ptr(key), size(key), ptr(value), size(value), ttlSeconds, ident)
}

func (wasmHost) CacheGet(key []byte, ident int32) int32 {
	return cacheGet(ptr(key), size(key), ident)
}

func (wasmHost) LogMsg(message []byte, level int32, ident int32) {
	logMsg(ptr(message), size(message), level, ident)
}

func (wasmHost) RequestGetField(fieldType int32, key []byte, ident int32) int32 {
	return requestGetField(fieldType, ptr(key), size(key), ident)
}

func (wasmHost) RequestSetField(fieldType int32, key, value []byte, ident int32) int32 {
	return requestSetField(fieldType, ptr(key), size(key), ptr(value), size(value), ident)
}

func (wasmHost) RespSetHeader(key, value []byte, ident int32) {
	respSetHeader(ptr(key), size(key), ptr(value), size(value), ident)
}

func (wasmHost) GetStaticFile(name []byte, ident int32) int32 {
	return getStaticFile(ptr(name), size(name), ident)
}

func (wasmHost) DBExec(queryType int32, name []byte, ident int32) int32 {
	return dbExec(queryType, ptr(name), size(name), ident)
}

func (wasmHost) GetSecretValue(key []byte, ident int32) int32 {
	return getSecretValue(ptr(key), size(key), ident)
}
