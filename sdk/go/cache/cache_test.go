package cache_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"e2rx"
	"e2rx/cache"
	"e2rx/e2rxtest"
)

func TestSetThenGet(t *testing.T) {
	host := e2rxtest.New()
	out := host.Run(func([]byte) ([]byte, error) {
		if err := cache.Set("greeting", []byte("hello"), time.Minute); err != nil {
			return nil, err
		}
		return cache.Get("greeting")
	}, nil)
	if out.Err != nil || string(out.Output) != "hello" {
		t.Fatalf("got %s", out)
	}
	if host.CacheTTL["greeting"] != time.Minute {
		t.Fatalf("ttl %v", host.CacheTTL["greeting"])
	}
}

func TestTTLIsRoundedUpToWholeSecondsAndZeroIsNoExpiry(t *testing.T) {
	host := e2rxtest.New()
	host.Run(func([]byte) ([]byte, error) {
		for key, ttl := range map[string]time.Duration{"half": 500 * time.Millisecond, "none": 0, "negative": -time.Second, "long": 100 * 365 * 24 * time.Hour} {
			if err := cache.Set(key, []byte("v"), ttl); err != nil {
				t.Fatal(err)
			}
		}
		return nil, nil
	}, nil)
	want := map[string]time.Duration{"half": time.Second, "none": 0, "negative": 0, "long": (1<<31 - 1) * time.Second}
	for key, ttl := range want {
		if host.CacheTTL[key] != ttl {
			t.Errorf("%s: ttl %v, want %v", key, host.CacheTTL[key], ttl)
		}
	}
}

func TestGetOfAMissingKeyIsErrNotFound(t *testing.T) {
	host := e2rxtest.New()
	out := host.Run(func([]byte) ([]byte, error) {
		_, err := cache.Get("nothing")
		if !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("error %v, want cache.ErrNotFound", err)
		}
		return nil, err
	}, nil)
	if out.Err == nil || out.Err.Code != 500 || out.Err.Message != "cache: key not found" {
		t.Fatalf("got %s", out)
	}
}

func TestARefusedSetIsAHostError(t *testing.T) {
	host := e2rxtest.New()
	host.RefuseCache = true
	host.Run(func([]byte) ([]byte, error) {
		err := cache.Set("k", []byte("v"), 0)
		var hostErr *e2rx.HostError
		if !errors.As(err, &hostErr) || !strings.Contains(hostErr.Message, "refused") {
			t.Fatalf("error %v", err)
		}
		return nil, nil
	}, nil)
	if len(host.Cache) != 0 {
		t.Fatalf("cache %v", host.Cache)
	}
}
