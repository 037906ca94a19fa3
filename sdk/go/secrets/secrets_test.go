package secrets_test

import (
	"testing"

	"e2rx/e2rxtest"
	"e2rx/secrets"
)

func TestGetReadsAnAllowedSecretAndEmptyOtherwise(t *testing.T) {
	host := e2rxtest.New()
	host.Secrets = map[string]string{"API_TOKEN": "s3cret"}
	out := host.Run(func([]byte) ([]byte, error) {
		return []byte(secrets.Get("API_TOKEN") + "|" + secrets.Get("OTHER")), nil
	}, nil)
	if string(out.Output) != "s3cret|" {
		t.Fatalf("got %s", out)
	}
}
