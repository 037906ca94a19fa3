// Package publish (e2rx) publishes messages on the app's NATS or Kafka connection, through e2rx's own host function
// e2rx.publish: a module that uses it runs on e2rx only (the env ABI of Atmo is untouched, and a module that does
// not import this package does not import e2rx.publish).
//
// The Directive must allow the target in capabilities.publish. A message is checked at once and buffered; e2rx sends
// it only if the whole run succeeds, before the run's reply, respondTo and the acknowledgement of its input. A call
// that returns an error publishes nothing.
//
//	err := publish.Kafka("orders-audit", []byte(`{"id":1}`), "order-1", map[string]string{"kind": "audit"})
package publish

import (
	"sort"
	"strconv"
	"strings"

	"e2rx/internal/abi"
)

// The connection argument of e2rx.publish.
const (
	// ConnectionNATS is the Directive's connections.nats (a subject a JetStream stream stores goes to the stream).
	ConnectionNATS int32 = 1
	// ConnectionKafka is the Directive's connections.kafka.
	ConnectionKafka int32 = 2
)

// Error is a refused publish: the code e2rx.publish returned, and what it means (the host logs the details).
type Error struct {
	Code    int32
	Message string
}

func (e *Error) Error() string {
	return "publish: " + e.Message
}

// message is the meaning of a refusal code (docs/reference/host-abi.md, e2rx.publish).
func message(code int32) string {
	switch code {
	case -1:
		return "unknown error returned from host"
	case -2:
		return "publish is not enabled (capabilities.publish)"
	case -3:
		return "the target is not allowed (capabilities.publish.allow)"
	case -4:
		return "the app has no connection of that kind"
	case -5:
		return "too many messages published by this call (capabilities.publish.maxMessages or maxBytes)"
	case -6:
		return "the message is invalid"
	}
	return "failed with code " + strconv.Itoa(int(code))
}

// NATS publishes body to the NATS subject (to its JetStream stream when one stores it) with headers.
func NATS(subject string, body []byte, headers map[string]string) error {
	return send(ConnectionNATS, subject, body, "", headers)
}

// Kafka produces body to the Kafka topic with key ("" for none) and headers.
func Kafka(topic string, body []byte, key string, headers map[string]string) error {
	return send(ConnectionKafka, topic, body, key, headers)
}

func send(connection int32, target string, body []byte, key string, headers map[string]string) error {
	lines, err := headerLines(headers)
	if err != nil {
		return err
	}
	if code := hostPublish(connection, []byte(target), body, lines, []byte(key), abi.Ident()); code != 0 {
		return &Error{Code: code, Message: message(code)}
	}
	return nil
}

// headerLines encodes headers as name:value lines, sorted by name; a name holding ':' or a newline, or a value
// holding a newline, cannot travel that way.
func headerLines(headers map[string]string) ([]byte, error) {
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		value := headers[name]
		if name == "" || strings.ContainsAny(name, ":\n") {
			return nil, &Error{Code: -6, Message: "invalid header name " + strconv.Quote(name)}
		}
		if strings.Contains(value, "\n") {
			return nil, &Error{Code: -6, Message: "value of header " + strconv.Quote(name) + " must not contain a newline"}
		}
		b.WriteString(name + ":" + value + "\n")
	}
	return []byte(b.String()), nil
}
