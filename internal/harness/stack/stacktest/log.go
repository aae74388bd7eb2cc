package stacktest

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// LogWriter returns a writer that puts each write in the test's log, without its final
// newline: where the code under test logs to.
func LogWriter(tb testing.TB) io.Writer { return testLog{tb} }

type testLog struct{ tb testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Logger returns a text logger at debug level that writes each record to the test's log and
// to also (an Output, for a test that checks what was logged).
func Logger(tb testing.TB, also ...io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.MultiWriter(append([]io.Writer{LogWriter(tb)}, also...)...), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
