package sim_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/superfly/fly-go/flaps"
	"github.com/superfly/fly-go/tokens"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// sandboxRun is a RunSandbox running in the background.
type sandboxRun struct {
	env    map[string]string
	names  []string // the printed variable names, in order
	stderr *simtest.LockedBuffer
	cancel context.CancelFunc
	done   chan int
}

// startSandbox runs the sandbox command and waits for its four lines.
func startSandbox(t *testing.T, args ...string) *sandboxRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	run := &sandboxRun{env: map[string]string{}, stderr: &simtest.LockedBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		code := sim.RunSandbox(ctx, args, pw, run.stderr)
		pw.Close()
		run.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-run.done:
		case <-time.After(10 * time.Second):
			t.Error("sandbox did not stop")
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for len(run.names) < 4 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("sandbox stopped after %d lines; stderr: %s", len(run.names), run.stderr.String())
			}
			name, value, found := strings.Cut(line, "=")
			if !found || value == "" {
				t.Fatalf("sandbox printed %q, not VAR=value", line)
			}
			run.names = append(run.names, name)
			run.env[name] = value
		case <-time.After(10 * time.Second):
			t.Fatalf("sandbox printed no settings; stderr: %s", run.stderr.String())
		}
	}
	go func() { // keep draining: nothing more is expected on stdout
		for range lines {
		}
	}()
	return run
}

// stop cancels the sandbox (as SIGINT does) and returns its exit code.
func (s *sandboxRun) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop")
		return -1
	}
}

// TestSandbox is not parallel: it points flaps at the sandbox through FLY_FLAPS_BASE_URL,
// exactly as a shell user who evals the output does.
func TestSandbox(t *testing.T) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "sandbox.json")
	run := startSandbox(t, "--state-file", state, "--token", "fo1_sandbox-test-token")
	if want := []string{"FLY_FLAPS_BASE_URL", "OPENROUTER_API_URL", "FLY_API_TOKEN", "OPENROUTER_MANAGEMENT_KEY"}; !slices.Equal(run.names, want) {
		t.Fatalf("printed %v, want %v", run.names, want)
	}
	if run.env["FLY_API_TOKEN"] != "fo1_sandbox-test-token" || !strings.HasPrefix(run.env["OPENROUTER_MANAGEMENT_KEY"], "sk-or-v1-") {
		t.Fatalf("printed credentials %v", run.env)
	}
	if !strings.HasPrefix(run.env["OPENROUTER_API_URL"], "http://127.0.0.1:") || !strings.HasSuffix(run.env["OPENROUTER_API_URL"], "/api/v1") {
		t.Fatalf("OPENROUTER_API_URL = %s", run.env["OPENROUTER_API_URL"])
	}

	// The Fly URL works as FLY_FLAPS_BASE_URL for an unmodified flaps client.
	t.Setenv("FLY_FLAPS_BASE_URL", run.env["FLY_FLAPS_BASE_URL"])
	c, err := flaps.NewWithOptions(ctx, flaps.NewClientOpts{Tokens: tokens.Parse(run.env["FLY_API_TOKEN"])})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "from-the-shell", Org: "acme"}); err != nil {
		t.Fatalf("create app through the sandbox: %v", err)
	}

	// The OpenRouter URL is the API base.
	status, body := rawRequest(t, http.MethodPost, run.env["OPENROUTER_API_URL"]+"/keys", "Bearer "+run.env["OPENROUTER_MANAGEMENT_KEY"], `{"name":"from-the-shell"}`, nil)
	if status != http.StatusCreated {
		t.Fatalf("create key through the sandbox: %d %s", status, body)
	}
	// The test API is beside it.
	origin := strings.TrimSuffix(run.env["OPENROUTER_API_URL"], "/api/v1")
	if status, body := rawRequest(t, http.MethodGet, origin+"/_sim/snapshot", "Bearer "+run.env["OPENROUTER_MANAGEMENT_KEY"], "", nil); status != http.StatusOK || !strings.Contains(body, "from-the-shell") {
		t.Fatalf("/_sim/snapshot: %d %s", status, body)
	}

	if code := run.stop(t); code != 0 {
		t.Fatalf("sandbox exit code %d; stderr: %s", code, run.stderr.String())
	}
	data, err := os.ReadFile(state)
	if err != nil || !bytes.Contains(data, []byte("from-the-shell")) {
		t.Fatalf("state file after stop: %v %s", err, data)
	}
	if bytes.Contains(data, []byte(run.env["OPENROUTER_MANAGEMENT_KEY"])) || bytes.Contains(data, []byte(run.env["FLY_API_TOKEN"])) {
		t.Fatal("the state file holds a credential")
	}

	// A second sandbox on the same state file has the app and the key.
	again := startSandbox(t, "--state-file", state)
	status, body = rawRequest(t, http.MethodGet, again.env["FLY_FLAPS_BASE_URL"]+"/v1/apps/from-the-shell", "Bearer "+again.env["FLY_API_TOKEN"], "", nil)
	if status != http.StatusOK {
		t.Fatalf("app after restart: %d %s", status, body)
	}
	status, body = rawRequest(t, http.MethodGet, again.env["OPENROUTER_API_URL"]+"/keys", "Bearer "+again.env["OPENROUTER_MANAGEMENT_KEY"], "", nil)
	if status != http.StatusOK || !strings.Contains(body, "from-the-shell") {
		t.Fatalf("keys after restart: %d %s", status, body)
	}
}

func TestSandboxManualClock(t *testing.T) {
	run := startSandbox(t, "--clock", "manual", "--clock-start", "2026-03-31T23:00:00Z")
	origin := strings.TrimSuffix(run.env["OPENROUTER_API_URL"], "/api/v1")
	auth := "Bearer " + run.env["OPENROUTER_MANAGEMENT_KEY"]
	status, body := rawRequest(t, http.MethodPost, origin+"/_sim/clock", auth, `{"advance":"2h"}`, nil)
	if status != http.StatusOK || !strings.Contains(body, "2026-04-01T01:00:00Z") {
		t.Fatalf("advance the clock: %d %s", status, body)
	}
	// Both simulators share the clock.
	status, body = rawRequest(t, http.MethodGet, run.env["FLY_FLAPS_BASE_URL"]+"/_sim/clock", "Bearer "+run.env["FLY_API_TOKEN"], "", nil)
	if status != http.StatusOK || !strings.Contains(body, "2026-04-01T01:00:00Z") {
		t.Fatalf("Fly clock: %d %s", status, body)
	}
	status, _ = rawRequest(t, http.MethodPost, origin+"/_sim/clock", auth, `{"advance":"tomorrow"}`, nil)
	if status != http.StatusBadRequest {
		t.Fatalf("advance by nonsense: %d, want 400", status)
	}
}

func TestSandboxBadFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--fault-rate", "2"}, "fraction"},
		{[]string{"--fault-rate", "0.6", "--drop-rate", "0.6"}, "at most 1"},
		{[]string{"--latency", "soon"}, "invalid value"},
		{[]string{"--clock", "sundial"}, "wall or manual"},
		{[]string{"--clock-start", "2026-01-01T00:00:00Z"}, "--clock manual"},
		{[]string{"--fly-addr", "nonsense"}, "host:port"},
		{[]string{"--token", "has space"}, "--token"},
		{[]string{"--key-limit-status", "500"}, "403"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--no-such-flag"}, "not defined"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		var stdout, stderr bytes.Buffer
		code := sim.RunSandbox(context.Background(), tc.args, &stdout, &stderr)
		if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("sandbox %v: exit %d, stdout %q, stderr %q; want exit 2 and a message mentioning %q", tc.args, code, stdout.String(), stderr.String(), tc.want)
		}
	}
	var stderr bytes.Buffer
	if code := sim.RunSandbox(context.Background(), []string{"-h"}, io.Discard, &stderr); code != 0 || !strings.Contains(stderr.String(), "--state-file") && !strings.Contains(stderr.String(), "-state-file") {
		t.Errorf("sandbox -h: exit %d, %q", code, stderr.String())
	}
}

func TestSandboxBusyPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stderr bytes.Buffer
	code := sim.RunSandbox(context.Background(), []string{"--fly-addr", ln.Addr().String()}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "listen") {
		t.Fatalf("sandbox on a busy port: exit %d, %q; want 1 and a listen error", code, stderr.String())
	}
}
