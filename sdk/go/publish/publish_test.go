package publish_test

import (
	"errors"
	"testing"

	"e2rx/e2rxtest"
	"e2rx/publish"
)

func TestPublishedMessagesAreKeptWhenTheCallSucceeds(t *testing.T) {
	host := e2rxtest.New()
	host.PublishAllow = []string{"orders.>", "orders-audit"}
	out := host.Run(func([]byte) ([]byte, error) {
		if err := publish.NATS("orders.eu.created", []byte("event"), map[string]string{"kind": "placed"}); err != nil {
			return nil, err
		}
		if err := publish.Kafka("orders-audit", []byte("audit"), "o-1", nil); err != nil {
			return nil, err
		}
		return []byte("ok"), nil
	}, nil)
	if out.Err != nil {
		t.Fatalf("got %s", out)
	}
	if len(host.Published) != 2 {
		t.Fatalf("published %d messages", len(host.Published))
	}
	nats, kafka := host.Published[0], host.Published[1]
	if nats.Connection != "nats" || nats.Target != "orders.eu.created" || string(nats.Body) != "event" || nats.Header["kind"] != "placed" {
		t.Fatalf("nats message %+v", nats)
	}
	if kafka.Connection != "kafka" || kafka.Target != "orders-audit" || kafka.Key != "o-1" || len(kafka.Header) != 0 {
		t.Fatalf("kafka message %+v", kafka)
	}
}

func TestARefusedPublishIsAnErrorWithItsCode(t *testing.T) {
	host := e2rxtest.New()
	host.PublishAllow = []string{"orders.>"}
	var denied, off, badHeader error
	host.Run(func([]byte) ([]byte, error) {
		denied = publish.NATS("billing", nil, nil)
		badHeader = publish.NATS("orders.x", nil, map[string]string{"x-lines": "a\nb"})
		return nil, nil
	}, nil)
	var refused *publish.Error
	if !errors.As(denied, &refused) || refused.Code != -3 || denied.Error() != "publish: the target is not allowed (capabilities.publish.allow)" {
		t.Fatalf("denied: %v", denied)
	}
	if badHeader == nil || badHeader.Error() != `publish: value of header "x-lines" must not contain a newline` {
		t.Fatalf("bad header: %v", badHeader)
	}
	host.PublishAllow = nil
	host.Run(func([]byte) ([]byte, error) {
		off = publish.Kafka("orders.x", nil, "", nil)
		return nil, nil
	}, nil)
	if !errors.As(off, &refused) || refused.Code != -2 {
		t.Fatalf("off: %v", off)
	}
}

func TestACallThatFailsPublishesNothing(t *testing.T) {
	host := e2rxtest.New()
	host.PublishAllow = []string{"orders.>"}
	out := host.Run(func([]byte) ([]byte, error) {
		_ = publish.NATS("orders.x", []byte("lost"), nil)
		return nil, errors.New("failed after publishing")
	}, nil)
	if out.Err == nil || len(host.Published) != 0 {
		t.Fatalf("got %s, published %d", out, len(host.Published))
	}
}
