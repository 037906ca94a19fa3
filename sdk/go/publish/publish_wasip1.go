//go:build wasip1

package publish

import "unsafe"

//go:wasmimport e2rx publish
func e2rxPublish(connection int32, targetPtr unsafe.Pointer, targetSize int32, bodyPtr unsafe.Pointer, bodySize int32, headersPtr unsafe.Pointer, headersSize int32, keyPtr unsafe.Pointer, keySize int32, ident int32) int32

func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}

// hostPublish calls e2rx.publish.
func hostPublish(connection int32, target, body, headers, key []byte, ident int32) int32 {
	return e2rxPublish(connection, ptr(target), int32(len(target)), ptr(body), int32(len(body)), ptr(headers), int32(len(headers)), ptr(key), int32(len(key)), ident)
}
