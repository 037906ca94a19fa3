//go:build !wasip1

package publish

import "e2rx/internal/abi"

// Publisher is a host that answers e2rx.publish outside of WebAssembly: the test host of package e2rxtest.
type Publisher interface {
	Publish(connection int32, target, body, headers, key []byte, ident int32) int32
}

// hostPublish asks the test host; without one it panics like every host call outside of e2rx.
func hostPublish(connection int32, target, body, headers, key []byte, ident int32) int32 {
	if p, ok := abi.Current().(Publisher); ok {
		return p.Publish(connection, target, body, headers, key, ident)
	}
	panic(abi.NoHostMessage)
}
