// Package resp sets headers of the HTTP response of a request handler. Headers set by any step apply to the
// response; the last write of a name wins.
//
//	resp.ContentType("application/json")
//	resp.SetHeader("Cache-Control", "max-age=60")
package resp

import "e2rx/internal/abi"

// SetHeader sets a response header.
func SetHeader(key, value string) {
	abi.Current().RespSetHeader([]byte(key), []byte(value), abi.Ident())
}

// ContentType sets the response's Content-Type (otherwise it is application/octet-stream).
func ContentType(value string) {
	SetHeader("Content-Type", value)
}
