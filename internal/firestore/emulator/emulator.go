// Package emulator starts and stops the official Cloud Firestore emulator (the Debian package
// google-cloud-cli-firestore-emulator) for tests, and resets the data of one project in it.
//
// The emulator is a shell script that forks a JVM. Start runs it in a process group of its own,
// under a small /bin/sh watchdog that kills that group when the pipe from this process closes,
// so the JVM is stopped by Stop and also when the test process dies without calling Stop
// (a panic, a `go test -timeout`, a kill).
package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultBinary is where the Debian package installs the emulator's start script.
const DefaultBinary = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator"

// InstallHint says how to get the emulator; error and skip messages end with it.
const InstallHint = "install the Debian package google-cloud-cli-firestore-emulator (apt-get install google-cloud-cli-firestore-emulator; it needs Java 17), " +
	"or point FIRESTORE_EMULATOR_BIN at its cloud_firestore_emulator script, or FIRESTORE_EMULATOR_HOST at a running emulator"

// ErrNotInstalled is returned by Find when no emulator binary exists.
var ErrNotInstalled = errors.New("the Cloud Firestore emulator is not installed")

// Find returns the emulator script to run: bin when it is not empty (FIRESTORE_EMULATOR_BIN),
// else DefaultBinary. The error wraps ErrNotInstalled and names the path it looked at.
func Find(bin string) (string, error) {
	if bin == "" {
		bin = DefaultBinary
	}
	info, err := os.Stat(bin)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: %s does not exist; %s", ErrNotInstalled, bin, InstallHint)
	case info.IsDir() || info.Mode()&0o111 == 0:
		return "", fmt.Errorf("%w: %s is not an executable file; %s", ErrNotInstalled, bin, InstallHint)
	}
	if _, err := exec.LookPath("java"); err != nil {
		return "", fmt.Errorf("%w: %s needs java on PATH (Java 17 or newer); %s", ErrNotInstalled, bin, InstallHint)
	}
	return bin, nil
}

// Config says how to start an emulator.
type Config struct {
	// Binary is the emulator's start script (see Find).
	Binary string
	// Host is the address to listen on; default 127.0.0.1.
	Host string
	// Port to listen on; 0 picks a free one.
	Port int
	// StartTimeout bounds how long Start waits for the emulator to answer; default 90s (the
	// JVM can take a while on a busy machine).
	StartTimeout time.Duration
	// Output, if not nil, receives the emulator's own log. It is kept in memory otherwise and
	// quoted when the emulator fails to start.
	Output io.Writer
}

// Emulator is one running emulator process group.
type Emulator struct {
	host  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
	log   *lockedBuffer

	stopOnce sync.Once
	stopErr  error
}

// Start runs the emulator and waits until it answers HTTP on its port.
func Start(ctx context.Context, cfg Config) (*Emulator, error) {
	if cfg.Binary == "" {
		return nil, fmt.Errorf("emulator: Config.Binary is empty; use Find to locate the emulator (%s)", InstallHint)
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 90 * time.Second
	}
	if cfg.Port != 0 {
		return launch(ctx, cfg, cfg.Port)
	}
	// A free port is only free when it is picked: another process (another emulator's
	// WebSocket server, say) can take it before the JVM binds it. The emulator then exits with
	// a BindException, and a fresh port is tried.
	var err error
	for range portAttempts {
		var port int
		if port, err = freePort(cfg.Host); err != nil {
			return nil, err
		}
		var e *Emulator
		if e, err = launch(ctx, cfg, port); !errors.Is(err, errPortTaken) {
			return e, err
		}
	}
	return nil, err
}

// portAttempts is how many free ports Start tries before it gives up.
const portAttempts = 3

// errPortTaken is a start that failed because another process bound the port first.
var errPortTaken = errors.New("the port was taken before the emulator bound it")

// launch starts the emulator on port and waits until it answers there.
func launch(ctx context.Context, cfg Config, port int) (*Emulator, error) {
	host := net.JoinHostPort(cfg.Host, strconv.Itoa(port))

	log := &lockedBuffer{}
	var out io.Writer = log
	if cfg.Output != nil {
		out = io.MultiWriter(log, cfg.Output)
	}
	// The watchdog: start the emulator in the background, then wait for stdin (a pipe from this
	// process) to close and take the whole process group down with it. Background jobs of a
	// non-interactive sh read /dev/null, so the emulator never consumes the pipe.
	cmd := exec.Command("/bin/sh", "-c", `"$@" & read -r _ ; kill -KILL -$$`,
		"firestore-emulator-watchdog", cfg.Binary, "start",
		"--host="+cfg.Host, "--port="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emulator: starting %s: %w", cfg.Binary, err)
	}
	e := &Emulator{host: host, cmd: cmd, stdin: stdin, done: make(chan struct{}), log: log}
	go func() { _ = cmd.Wait(); close(e.done) }()

	if err := e.waitReady(ctx, cfg.StartTimeout); err != nil {
		_ = e.Stop()
		return nil, fmt.Errorf("emulator: %w; its output was:\n%s", err, log.String())
	}
	return e, nil
}

// Host is the emulator's host:port, the value for FIRESTORE_EMULATOR_HOST.
func (e *Emulator) Host() string { return e.host }

// Stop ends the emulator's whole process group (the script and its JVM) and waits until no
// process of it is left. It is safe to call more than once.
func (e *Emulator) Stop() error {
	e.stopOnce.Do(func() { e.stopErr = e.stop() })
	return e.stopErr
}

func (e *Emulator) stop() error {
	pgid := e.cmd.Process.Pid // Setpgid: the watchdog leads its own group
	_ = e.stdin.Close()
	// The emulator keeps its data in memory only, so there is nothing to shut down gracefully;
	// a JVM given SIGTERM takes seconds to exit.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-e.done
	if !groupGone(pgid, 10*time.Second) {
		return fmt.Errorf("emulator: processes of group %d are still running after SIGKILL", pgid)
	}
	return nil
}

// groupGone waits until no process of the group is left, and reports whether that happened
// within timeout. The JVM is not this process's child, so only asking again tells when the
// system has reaped it.
func groupGone(pgid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func (e *Emulator) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if err := Ping(ctx, e.host); err == nil {
			return nil
		}
		// The JVM exits on a BindException but the watchdog shell stays, so the log, not the
		// process, tells that this start cannot succeed.
		if strings.Contains(e.log.String(), "java.net.BindException") {
			return fmt.Errorf("%w (%s)", errPortTaken, e.host)
		}
		select {
		case <-e.done:
			return errors.New("the emulator exited before it answered")
		case <-ctx.Done():
			return fmt.Errorf("the emulator did not answer on %s within %s", e.host, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Ping reports whether an emulator answers on host (host:port).
func Ping(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emulator on %s answered %s", host, resp.Status)
	}
	return nil
}

// Reset deletes every document of project in the emulator on host (database "(default)").
func Reset(ctx context.Context, host, project string) error {
	url := "http://" + host + "/emulator/v1/projects/" + project + "/databases/(default)/documents"
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("emulator: resetting project %s: %w", project, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emulator: resetting project %s: %s: %s", project, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("emulator: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer collects the emulator's output, written from exec's copying goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
