package emulator

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
)

// Environment variables the test harness reads.
const (
	// EnvHost names a running emulator (host:port) to reuse instead of starting one. It is the
	// variable the Firestore client libraries read.
	EnvHost = "FIRESTORE_EMULATOR_HOST"
	// EnvBinary overrides DefaultBinary.
	EnvBinary = "FIRESTORE_EMULATOR_BIN"
)

// ForTests provides an emulator for one test process: the one named by FIRESTORE_EMULATOR_HOST
// if set (it must answer), else a new one started from FIRESTORE_EMULATOR_BIN or DefaultBinary.
// stop ends what ForTests started (nothing for a reused emulator). An error wrapping
// ErrNotInstalled means the emulator is missing; pass it to Missing.
func ForTests(ctx context.Context, output io.Writer) (host string, stop func() error, err error) {
	if host := os.Getenv(EnvHost); host != "" {
		if err := Ping(ctx, host); err != nil {
			return "", nil, fmt.Errorf("%s=%s does not answer (%v); unset it to let the tests start an emulator", EnvHost, host, err)
		}
		return host, func() error { return nil }, nil
	}
	bin, err := Find(os.Getenv(EnvBinary))
	if err != nil {
		return "", nil, err
	}
	e, err := Start(ctx, Config{Binary: bin, Output: output})
	if err != nil {
		return "", nil, err
	}
	return e.Host(), e.Stop, nil
}

// Missing reports that the emulator cannot be used: the test fails when CI=true (a CI run must
// not pass without the Firestore tests) and is skipped, loudly, everywhere else.
func Missing(tb testing.TB, err error) {
	tb.Helper()
	msg := fmt.Sprintf("FIRESTORE EMULATOR UNAVAILABLE, Firestore store NOT TESTED: %v", err)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg + " (CI=true: this is a failure)")
		return
	}
	tb.Skip(msg)
}

// ForTest provides an emulator for one test (ForTests), stopped when the test ends; without
// one the test fails (CI=true) or is skipped, loudly (Missing).
func ForTest(tb testing.TB) string {
	tb.Helper()
	host, stop, err := ForTests(context.Background(), nil)
	if err != nil {
		Missing(tb, err)
		return ""
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Errorf("stopping the Firestore emulator: %v", err)
		}
	})
	return host
}
