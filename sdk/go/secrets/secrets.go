// Package secrets reads the secrets the app allows: environment variables of the e2rx process listed in the
// Directive's capabilities.secrets.env.allowedKeys.
//
//	token := secrets.Get("API_TOKEN")
package secrets

import "e2rx/internal/abi"

// Get is the value of an allowed secret; "" when it is not allowed, not set, or the capability is off.
func Get(key string) string {
	h := abi.Current()
	value, err := abi.Result("secrets.Get", h.GetSecretValue([]byte(key), abi.Ident()))
	if err != nil {
		return ""
	}
	return string(value)
}
