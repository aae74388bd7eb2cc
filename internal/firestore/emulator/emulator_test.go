package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFindReportsWhatIsMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "cloud_firestore_emulator")
	_, err := Find(missing)
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Find(%q) = %v, want ErrNotInstalled", missing, err)
	}
	for _, want := range []string{missing, "google-cloud-cli-firestore-emulator", "FIRESTORE_EMULATOR_BIN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Find error %q does not mention %q", err, want)
		}
	}

	notExec := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(notExec); !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("Find(non-executable) = %v, want ErrNotInstalled naming the problem", err)
	}
}

// TestStartStopLeavesNothingRunning starts the real emulator, resets a project in it, stops it,
// and checks that its whole process group — the script and the JVM it forks — is gone.
func TestStartStopLeavesNothingRunning(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	e := startOwn(t)
	t.Logf("emulator answered on %s after %v", e.Host(), time.Since(start).Round(time.Millisecond))
	pgid := e.cmd.Process.Pid
	if !hasJava(t, pgid) {
		t.Errorf("no java process in the emulator's process group %d", pgid)
	}
	if err := Reset(ctx, e.Host(), "reset-check"); err != nil {
		t.Errorf("Reset: %v", err)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pgid, 0); err == nil {
		t.Fatalf("process group %d still has processes after Stop", pgid)
	}
	if err := Ping(ctx, e.Host()); err == nil {
		t.Fatalf("emulator still answers on %s after Stop", e.Host())
	}
	if err := e.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestWatchdogStopsEmulatorWhenParentDies closes the watchdog's pipe without calling Stop, as
// happens when the test process dies, and checks that the emulator goes away by itself.
func TestWatchdogStopsEmulatorWhenParentDies(t *testing.T) {
	e := startOwn(t)
	pgid := e.cmd.Process.Pid
	_ = e.stdin.Close() // what the kernel does to the pipe when this process exits
	select {
	case <-e.done: // the watchdog exits only by killing its whole group
	case <-time.After(20 * time.Second):
		t.Fatalf("the watchdog of process group %d still runs 20s after its pipe closed", pgid)
	}
	if !groupGone(pgid, 10*time.Second) {
		t.Fatalf("process group %d still has processes after its watchdog killed it", pgid)
	}
}

// startOwn starts an emulator of the test's own, stopped when the test ends. It skips when a
// shared emulator is configured (EnvHost): these tests are pointless against one.
func startOwn(t *testing.T) *Emulator {
	t.Helper()
	if os.Getenv(EnvHost) != "" {
		t.Skipf("%s is set: this test starts its own emulator and is pointless against a shared one", EnvHost)
	}
	bin, err := Find(os.Getenv(EnvBinary))
	if err != nil {
		Missing(t, err)
	}
	e, err := Start(context.Background(), Config{Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	return e
}

func hasJava(t *testing.T, pgid int) bool {
	t.Helper()
	out, err := exec.Command("ps", "-e", "-o", "pgid=,comm=").Output()
	if err != nil {
		t.Logf("ps: %v", err)
		return true // cannot tell; the checks after Stop still run
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == strconv.Itoa(pgid) && f[1] == "java" {
			return true
		}
	}
	return false
}

// recordingTB records what Missing asks of a test instead of ending it.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()           {}
func (r *recordingTB) Fatal(args ...any) { r.fatal = fmt.Sprint(args...) }
func (r *recordingTB) Skip(args ...any)  { r.skip = fmt.Sprint(args...) }

func TestMissingFailsInCIAndSkipsLoudlyElsewhere(t *testing.T) {
	_, why := Find(filepath.Join(t.TempDir(), "absent"))

	t.Setenv("CI", "true")
	ci := &recordingTB{TB: t}
	Missing(ci, why)
	if ci.skip != "" || !strings.Contains(ci.fatal, "NOT TESTED") || !strings.Contains(ci.fatal, "google-cloud-cli-firestore-emulator") {
		t.Errorf("with CI=true Missing skipped (%q) or failed without saying what is missing (%q)", ci.skip, ci.fatal)
	}

	t.Setenv("CI", "")
	dev := &recordingTB{TB: t}
	Missing(dev, why)
	if dev.fatal != "" || !strings.Contains(dev.skip, "FIRESTORE EMULATOR UNAVAILABLE") || !strings.Contains(dev.skip, "google-cloud-cli-firestore-emulator") {
		t.Errorf("without CI Missing failed (%q) or skipped without saying what is missing and how to install it (%q)", dev.fatal, dev.skip)
	}
}

func TestForTestsRefusesADeadEmulatorHost(t *testing.T) {
	t.Setenv(EnvHost, "127.0.0.1:1")
	if _, _, err := ForTests(t.Context(), nil); err == nil || !strings.Contains(err.Error(), EnvHost) {
		t.Fatalf("ForTests with %s pointing at nothing = %v, want an error naming the variable", EnvHost, err)
	}
}

// TestPortTakenIsToldAtOnce: a port another process holds makes the JVM exit with a
// BindException; Start says so at once (and, with a port it picked itself, tries another)
// instead of waiting out its timeout for an emulator that will never answer.
func TestPortTakenIsToldAtOnce(t *testing.T) {
	bin, err := Find(os.Getenv(EnvBinary))
	if err != nil {
		Missing(t, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	e, err := Start(context.Background(), Config{Binary: bin, Port: port, StartTimeout: 5 * time.Minute})
	if err == nil {
		_ = e.Stop()
		t.Fatalf("Start on port %d, which another process holds, succeeded", port)
	}
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("Start on a taken port: %v; want errPortTaken", err)
	}
}
