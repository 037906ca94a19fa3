// Package req reads and changes the request a function runs for: an HTTP request, a stream message or a schedule
// tick. Changes are seen by the later steps of the handler.
//
// Getters return "" (or nil) when the field is missing, and also when the host refuses (the requestHandler
// capability is off): a function that must tell the two apart checks the capability in the Directive. Setters
// return the host's error.
//
//	name := req.URLParam("name")
//	if err := req.SetState("greeting", "hello "+name); err != nil {
//		return nil, err
//	}
package req

import "e2rx/internal/abi"

func get(op string, fieldType int32, key string) []byte {
	h := abi.Current()
	data, err := abi.Result(op, h.RequestGetField(fieldType, []byte(key), abi.Ident()))
	if err != nil {
		return nil
	}
	return data
}

func set(op string, fieldType int32, key string, value []byte) error {
	h := abi.Current()
	_, err := abi.Result(op, h.RequestSetField(fieldType, []byte(key), value, abi.Ident()))
	return err
}

// Method is the HTTP method: SCHED for a schedule, STREAM for a NATS or Kafka message.
func Method() string { return string(get("req.Method", abi.FieldMeta, "method")) }

// SetMethod replaces the method seen by later steps.
func SetMethod(method string) error {
	return set("req.SetMethod", abi.FieldMeta, "method", []byte(method))
}

// URL is the request URI: the path and the query string.
func URL() string { return string(get("req.URL", abi.FieldMeta, "url")) }

// SetURL replaces the URL seen by later steps.
func SetURL(url string) error { return set("req.SetURL", abi.FieldMeta, "url", []byte(url)) }

// ID is the request's unique id (a UUID).
func ID() string { return string(get("req.ID", abi.FieldMeta, "id")) }

// Body is the raw request body (the same bytes as the handler's input, unless an earlier step replaced it).
func Body() []byte { return get("req.Body", abi.FieldMeta, "body") }

// SetBody replaces the raw body seen by later steps.
func SetBody(body []byte) error { return set("req.SetBody", abi.FieldMeta, "body", body) }

// BodyField is the value of a top-level string field of the JSON body: "" when the body is not a JSON object,
// the field is missing, or its value is not a string. Decode the body with encoding/json for anything else.
func BodyField(key string) string { return string(get("req.BodyField", abi.FieldBody, key)) }

// SetBodyField sets a top-level field of the JSON body to a string (nothing happens when the body is empty).
func SetBodyField(key, value string) error {
	return set("req.SetBodyField", abi.FieldBody, key, []byte(value))
}

// Header is a request header, by case-insensitive name.
func Header(key string) string { return string(get("req.Header", abi.FieldHeader, key)) }

// SetHeader sets a request header for later steps. Use a lower-case name: reads look up the lower-cased name.
func SetHeader(key, value string) error {
	return set("req.SetHeader", abi.FieldHeader, key, []byte(value))
}

// URLParam is a path parameter of the route: for the resource /users/:id, URLParam("id").
func URLParam(key string) string { return string(get("req.URLParam", abi.FieldParams, key)) }

// SetURLParam sets a path parameter for later steps.
func SetURLParam(key, value string) error {
	return set("req.SetURLParam", abi.FieldParams, key, []byte(value))
}

// QueryParam is the first value of a query parameter of the URL.
func QueryParam(key string) string { return string(get("req.QueryParam", abi.FieldQuery, key)) }

// State is a value of the handler's state, as text: the output of an earlier step (under its `as` name, or its
// function's name), or a value set with SetState.
func State(key string) string { return string(get("req.State", abi.FieldState, key)) }

// StateBytes is a value of the handler's state, as bytes.
func StateBytes(key string) []byte { return get("req.StateBytes", abi.FieldState, key) }

// SetState sets a value of the state, seen by later steps.
func SetState(key, value string) error {
	return set("req.SetState", abi.FieldState, key, []byte(value))
}

// SetStateBytes sets a value of the state to bytes.
func SetStateBytes(key string, value []byte) error {
	return set("req.SetStateBytes", abi.FieldState, key, value)
}
