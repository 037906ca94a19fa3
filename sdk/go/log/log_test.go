package log_test

import (
	"testing"

	"e2rx/e2rxtest"
	"e2rx/log"
)

func TestEachLevelReachesTheLog(t *testing.T) {
	host := e2rxtest.New()
	host.Run(func([]byte) ([]byte, error) {
		log.Debug("d")
		log.Info("i")
		log.Warn("w")
		log.Error("e")
		return nil, nil
	}, nil)
	if got := host.LogText(); got != "debug: d\ninfo: i\nwarn: w\nerror: e\n" {
		t.Fatalf("log %q", got)
	}
}
