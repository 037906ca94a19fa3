package e2rx

import (
	"unsafe"

	"e2rx/internal/abi"
)

// The module's exports: the Runnable ABI (docs/reference/host-abi.md §2). The Go toolchain adds `_initialize`, which
// the host calls once per instance: it starts the runtime and runs every init function (where Handle is called).

// inputs keeps the buffers handed to the host by allocate reachable until deallocate, so that the garbage collector
// never frees the memory the host writes the input into.
var inputs = map[unsafe.Pointer][]byte{}

// allocate gives the host a buffer of size bytes for the input.
//
//go:wasmexport allocate
func allocate(size int32) unsafe.Pointer {
	if size <= 0 {
		size = 1
	}
	buf := make([]byte, size)
	p := unsafe.Pointer(unsafe.SliceData(buf))
	inputs[p] = buf
	return p
}

// deallocate forgets a buffer of allocate (the handler may still hold the input: then it stays alive).
//
//go:wasmexport deallocate
func deallocate(p unsafe.Pointer, _ int32) {
	delete(inputs, p)
}

// runE runs the handler on the size bytes at p, with ident for the host calls it makes.
//
//go:wasmexport run_e
func runE(p unsafe.Pointer, size int32, ident int32) {
	input, ok := inputs[p]
	if ok && int(size) <= len(input) {
		input = input[:size:size]
	} else {
		// A host that wrote the input elsewhere: copy it out.
		input = append([]byte(nil), unsafe.Slice((*byte)(p), size)...)
	}
	abi.Invoke(abi.Registered(), input, ident)
}
