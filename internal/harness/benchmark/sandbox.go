package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// SandboxOptions are the `sandbox` flags a figure varies.
type SandboxOptions struct {
	// StateFile keeps both simulators' state across a restart (to switch rate limits on for
	// the same fleet).
	StateFile string
	// Token and ManagementKey are fixed so that the provider's environment stays valid across
	// restarts.
	Token, ManagementKey string
	// RateLimits enforces Fly's per-machine rate limits.
	RateLimits bool
	// Latency is added to every simulated API request.
	Latency time.Duration
	// CountStatuses logs every request (--log-level debug) so that Statuses can count the
	// answers, e.g. the 429s of the rate limits, which the fault statistics do not count.
	CountStatuses bool
}

// Sandbox is a running `terraform-provider-launchpad sandbox`: both simulators on loopback, in
// a process of their own, as operators run them.
type Sandbox struct {
	// Env is what the sandbox printed: FLY_FLAPS_BASE_URL, OPENROUTER_API_URL, FLY_API_TOKEN,
	// OPENROUTER_MANAGEMENT_KEY.
	Env  map[string]string
	cmd  *exec.Cmd
	done chan struct{}

	mu       sync.Mutex
	statuses map[string]int // "429" → count, when CountStatuses
	tail     []string       // last lines of stderr, for error messages
}

var sandboxVars = []string{"FLY_FLAPS_BASE_URL", "OPENROUTER_API_URL", "FLY_API_TOKEN", "OPENROUTER_MANAGEMENT_KEY"}

// StartSandbox runs binary's sandbox subcommand and waits until it has printed its settings.
func StartSandbox(ctx context.Context, binary string, o SandboxOptions) (*Sandbox, error) {
	args := []string{"sandbox", "--token", o.Token, "--management-key", o.ManagementKey}
	if o.StateFile != "" {
		args = append(args, "--state-file", o.StateFile)
	}
	if o.RateLimits {
		args = append(args, "--rate-limits")
	}
	if o.Latency > 0 {
		args = append(args, "--latency", o.Latency.String())
	}
	level := "warn"
	if o.CountStatuses {
		level = "debug"
	}
	args = append(args, "--log-level", level)
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the sandbox (%s): %w", binary, err)
	}
	s := &Sandbox{Env: map[string]string{}, cmd: cmd, done: make(chan struct{}), statuses: map[string]int{}}
	go s.readLog(stderr)
	ready := make(chan error, 1)
	go func() { ready <- s.readSettings(stdout) }()
	go func() { _ = cmd.Wait(); close(s.done) }()
	select {
	case err = <-ready:
	case <-s.done:
		err = errors.New("the sandbox exited before printing its settings")
	case <-time.After(30 * time.Second):
		err = errors.New("the sandbox printed no settings within 30s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		s.kill()
		return nil, fmt.Errorf("%w; its log ends with:\n%s", err, s.logTail())
	}
	return s, nil
}

func (s *Sandbox) readSettings(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			s.Env[k] = v
		}
		if len(s.Env) == len(sandboxVars) {
			go func() { _, _ = io.Copy(io.Discard, r) }()
			for _, name := range sandboxVars {
				if s.Env[name] == "" {
					return fmt.Errorf("the sandbox did not print %s", name)
				}
			}
			return nil
		}
	}
	return errors.New("the sandbox closed its output before printing its settings")
}

// readLog keeps the end of the log and counts answer statuses (the debug log has one
// `status=NNN` field per request).
func (s *Sandbox) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		if _, after, ok := strings.Cut(line, " status="); ok {
			s.statuses[strings.Fields(after)[0]]++
		} else {
			s.tail = append(s.tail, line)
			if len(s.tail) > 20 {
				s.tail = s.tail[1:]
			}
		}
		s.mu.Unlock()
	}
}

func (s *Sandbox) logTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// Statuses returns how many answers of each HTTP status the sandbox logged (CountStatuses).
func (s *Sandbox) Statuses() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.statuses))
	for k, v := range s.statuses {
		out[k] = v
	}
	return out
}

// Stop interrupts the sandbox, which saves its state file, and waits for it to exit.
func (s *Sandbox) Stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		s.kill()
		return err
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.kill()
		return errors.New("the sandbox did not stop within 30s of SIGINT")
	}
	if st := s.cmd.ProcessState; st != nil && !st.Success() {
		return fmt.Errorf("the sandbox exited with %v; its log ends with:\n%s", st, s.logTail())
	}
	return nil
}

func (s *Sandbox) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Requests returns how many simulated API requests each simulator has answered so far (its
// fault statistics count every request).
func (s *Sandbox) Requests(ctx context.Context) (fly, openRouter int, err error) {
	orBase := strings.TrimSuffix(s.Env["OPENROUTER_API_URL"], "/api/v1")
	if fly, err = simRequests(ctx, s.Env["FLY_FLAPS_BASE_URL"], s.Env["FLY_API_TOKEN"]); err != nil {
		return 0, 0, err
	}
	openRouter, err = simRequests(ctx, orBase, s.Env["OPENROUTER_MANAGEMENT_KEY"])
	return fly, openRouter, err
}

func simRequests(ctx context.Context, base, credential string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_sim/faults", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s/_sim/faults: %s: %s", base, resp.Status, bytes.TrimSpace(body))
	}
	var got struct {
		Stats struct {
			Requests int `json:"requests"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return 0, fmt.Errorf("GET %s/_sim/faults: %w", base, err)
	}
	return got.Stats.Requests, nil
}

// environ is the environment tofu runs with against this sandbox: its settings and extra.
func (s *Sandbox) environ(extra map[string]string) map[string]string {
	env := baseEnviron(extra)
	for k, v := range s.Env {
		env[k] = v
	}
	return env
}

// baseEnviron is the little of this process's environment tofu needs, and extra. Nothing
// else is passed on: a TF_LOG or TF_CLI_ARGS of the caller's shell would change what is timed.
func baseEnviron(extra map[string]string) map[string]string {
	env := map[string]string{"HOME": os.Getenv("HOME"), "PATH": os.Getenv("PATH")}
	for k, v := range extra {
		env[k] = v
	}
	return env
}
