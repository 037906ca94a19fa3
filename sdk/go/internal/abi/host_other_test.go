//go:build !wasip1

package abi

import "testing"

func TestWithoutAHostEveryCallPanicsWithAnExplanation(t *testing.T) {
	defer func() {
		if recovered := recover(); recovered != NoHostMessage {
			t.Fatalf("recovered %v, want %q", recovered, NoHostMessage)
		}
	}()
	Current().LogMsg([]byte("x"), LevelInfo, 0)
}
