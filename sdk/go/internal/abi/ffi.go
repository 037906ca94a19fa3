package abi

// UnknownHostError is the message of a host call that failed without saying why (it returned -1), as in the other
// SDKs.
const UnknownHostError = "unknown error returned from host"

// HostError is an error the host returned for a host call: its message, as the host wrote it (for example
// `key not found`, `capability is not enabled`, `404: not here`).
type HostError struct {
	// Op is the SDK function that called the host, for example "cache.Get".
	Op string
	// Message is the host's message.
	Message string
}

func (e *HostError) Error() string {
	return e.Op + ": " + e.Message
}

// Result collects the outcome of an FFI host call that returned size (docs/reference/host-abi.md §4): size >= 0 is
// a result of that many bytes, -1 a failure with nothing stored, any other negative size an error message of
// -size bytes. The pending result is always collected, also an empty one, so that the next host call may run.
func Result(op string, size int32) ([]byte, error) {
	if size == -1 {
		return nil, &HostError{Op: op, Message: UnknownHostError}
	}
	n := size
	if n < 0 {
		n = -n
	}
	buf := make([]byte, n)
	if current.GetFFIResult(buf, ident) != 0 {
		return nil, &HostError{Op: op, Message: UnknownHostError}
	}
	if size < 0 {
		return nil, &HostError{Op: op, Message: string(buf)}
	}
	return buf, nil
}
