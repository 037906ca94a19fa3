// Package cache is the app's key-value cache: in memory, or Redis when the Directive has connections.redis.
//
//	if err := cache.Set("greeting", []byte("hello"), time.Minute); err != nil {
//		return nil, err
//	}
//	value, err := cache.Get("greeting")
//	if errors.Is(err, cache.ErrNotFound) {
//		// not cached (or expired)
//	}
package cache

import (
	"errors"
	"math"
	"time"

	"e2rx/internal/abi"
)

// ErrNotFound is the error of Get for a key that holds no value (never set, or expired).
var ErrNotFound = errors.New("cache: key not found")

// keyNotFound is the host's message for a missing key.
const keyNotFound = "key not found"

// Get is the value stored under key; ErrNotFound when there is none, a *e2rx.HostError when the cache failed (the
// capability is off, Redis is down).
func Get(key string) ([]byte, error) {
	h := abi.Current()
	value, err := abi.Result("cache.Get", h.CacheGet([]byte(key), abi.Ident()))
	var hostErr *abi.HostError
	if errors.As(err, &hostErr) && hostErr.Message == keyNotFound {
		return nil, ErrNotFound
	}
	return value, err
}

// Set stores value under key for ttl (rounded up to whole seconds; 0 or less: no expiry). It fails when the cache
// refuses: the capability is off, its allowSet is false, or Redis failed.
func Set(key string, value []byte, ttl time.Duration) error {
	seconds := int32(0)
	if ttl > 0 {
		seconds = int32(min((ttl+time.Second-1)/time.Second, math.MaxInt32))
	}
	switch abi.Current().CacheSet([]byte(key), value, seconds, abi.Ident()) {
	case 0:
		return nil
	case -2:
		return &abi.HostError{Op: "cache.Set", Message: "the cache refused to store the value"}
	default:
		return &abi.HostError{Op: "cache.Set", Message: abi.UnknownHostError}
	}
}
