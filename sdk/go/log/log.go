// Package log writes to the server's log (the app's logger capability), with the function's name, the request id
// and the call's ident. The package is named like the standard library's log: import it as it is, or under
// another name next to it. Output of the standard library's log and of fmt.Print goes to the server's log too
// (stderr and stdout), without the levels.
//
//	log.Info("saying hello to " + name)
//	log.Warn("slow upstream: " + elapsed.String())
package log

import "e2rx/internal/abi"

func write(level int32, message string) {
	abi.Current().LogMsg([]byte(message), level, abi.Ident())
}

// Debug logs at level debug.
func Debug(message string) { write(abi.LevelDebug, message) }

// Info logs at level info.
func Info(message string) { write(abi.LevelInfo, message) }

// Warn logs at level warn.
func Warn(message string) { write(abi.LevelWarn, message) }

// Error logs at level error.
func Error(message string) { write(abi.LevelError, message) }
