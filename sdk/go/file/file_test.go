package file_test

import (
	"testing"

	"e2rx/e2rxtest"
	"e2rx/file"
)

func TestGetReadsAStaticFileOrSaysItDoesNotExist(t *testing.T) {
	host := e2rxtest.New()
	host.Files = map[string][]byte{"tiers/ada.txt": []byte("gold")}
	host.Run(func([]byte) ([]byte, error) {
		content, err := file.Get("tiers/ada.txt")
		if err != nil || string(content) != "gold" {
			t.Fatalf("Get: %q, %v", content, err)
		}
		if _, err := file.Get("tiers/bob.txt"); err == nil || err.Error() != "file.Get: file does not exist" {
			t.Fatalf("missing: %v", err)
		}
		return nil, nil
	}, nil)
}
