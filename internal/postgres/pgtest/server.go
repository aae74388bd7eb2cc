// Package pgtest starts and stops a real PostgreSQL server for tests, the benchmarks and the
// chaos run: initdb into a temporary directory, then the server itself on a free loopback port
// with its Unix socket in that directory, as an unprivileged user (PostgreSQL refuses to run
// as root; under root the server runs as the "postgres" account that Debian's package
// creates). Nothing is installed or configured system-wide, and nothing outlives the process
// that started it.
//
// The server runs under a small /bin/sh watchdog that reads a pipe from this process: when the
// pipe closes — Stop, or this process dying without calling it (a panic, `go test -timeout`,
// SIGKILL) — the watchdog asks the server for a fast shutdown, waits for it and removes the
// directory. So a test run leaves no server and no data behind, whatever ends it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
)

// MinVersion is the oldest PostgreSQL major version Launchpad supports.
const MinVersion = 14

// InstallHint says how to get PostgreSQL; error and skip messages end with it.
const InstallHint = "install Debian's postgresql package (apt-get install postgresql; `.ci/run` does), " +
	"or point " + EnvBin + " at the bin directory of PostgreSQL " + "14 or newer, or " + EnvURL + " at a running server"

// ErrNotInstalled is returned by Find when no usable PostgreSQL server binaries exist.
var ErrNotInstalled = errors.New("PostgreSQL is not installed")

// Binaries are the programs of one PostgreSQL installation.
type Binaries struct {
	Dir     string // the directory holding initdb and postgres
	Version string // what `postgres --version` says, e.g. "PostgreSQL 15.18"
	Major   int
}

// debianBinDirs is where Debian's postgresql-NN packages put the server binaries (they are not
// on PATH there; only the client tools are).
const debianBinDirs = "/usr/lib/postgresql/*/bin"

// Find returns the PostgreSQL installation to run: dir when it is not empty (LAUNCHPAD_PG_BIN),
// else the one whose initdb is on PATH, else the newest under /usr/lib/postgresql. The error
// wraps ErrNotInstalled and says where it looked.
func Find(dir string) (Binaries, error) {
	var candidates []string
	switch {
	case dir != "":
		candidates = []string{dir}
	default:
		if p, err := exec.LookPath("initdb"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real
			}
			candidates = append(candidates, filepath.Dir(p))
		}
		dirs, _ := filepath.Glob(debianBinDirs)
		slices.SortFunc(dirs, func(a, b string) int { return majorOfDir(b) - majorOfDir(a) })
		candidates = append(candidates, dirs...)
	}
	var problems []string
	for _, d := range candidates {
		b, err := inspect(d)
		if err == nil {
			return b, nil
		}
		problems = append(problems, err.Error())
	}
	if len(problems) == 0 {
		problems = append(problems, "no initdb on PATH and nothing in "+debianBinDirs)
	}
	return Binaries{}, fmt.Errorf("%w: %s; %s", ErrNotInstalled, strings.Join(problems, "; "), InstallHint)
}

// majorOfDir reads the version out of a Debian path such as /usr/lib/postgresql/15/bin.
func majorOfDir(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

var versionPattern = regexp.MustCompile(`PostgreSQL\)? (\d+)(\.\d+)?`)

// inspect checks that dir holds initdb and postgres of a supported version.
func inspect(dir string) (Binaries, error) {
	for _, name := range []string{"initdb", "postgres"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return Binaries{}, fmt.Errorf("%s has no executable %s", dir, name)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return Binaries{}, fmt.Errorf("%s/postgres --version: %v", dir, err)
	}
	m := versionPattern.FindStringSubmatch(string(out))
	if m == nil {
		return Binaries{}, fmt.Errorf("%s/postgres --version said %q, not a version", dir, strings.TrimSpace(string(out)))
	}
	major, _ := strconv.Atoi(m[1])
	if major < MinVersion {
		return Binaries{}, fmt.Errorf("%s is PostgreSQL %d; Launchpad needs %d or newer", dir, major, MinVersion)
	}
	return Binaries{Dir: dir, Version: "PostgreSQL " + m[1] + m[2], Major: major}, nil
}

// Config says how to start a server.
type Config struct {
	Binaries Binaries
	// Parent is the directory the server's temporary directory is made in; default the
	// system's temporary directory.
	Parent string
	// OSUser is the account the server runs as when this process is root; default
	// "postgres". Ignored when this process is not root: the server then runs as this user.
	OSUser string
	// Durable keeps PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes on),
	// for figures that must reflect a production server. By default they are off: test data
	// is thrown away, and commits that wait for the disk only slow the tests down.
	Durable bool
	// Settings are more server settings (-c name=value), e.g. max_connections.
	Settings map[string]string
	// StartTimeout bounds initdb plus start-up; default 2 minutes (a busy machine).
	StartTimeout time.Duration
	// Output, if not nil, receives the server's log. It is kept in memory otherwise and
	// quoted when the server fails to start.
	Output io.Writer
}

// Server is one running PostgreSQL server and its directory.
type Server struct {
	bin      Binaries
	dir      string
	port     int
	password string

	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
	log   *stacktest.Output

	stopOnce sync.Once
	stopErr  error
}

// Superuser is the name of the role initdb creates; its password is random per server.
const Superuser = "launchpad"

// Start runs initdb and the server and waits until the server accepts connections with its
// password over TCP.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Binaries.Dir == "" {
		return nil, fmt.Errorf("pgtest: Config.Binaries is empty; use Find (%s)", InstallHint)
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	cred, owner, err := runAs(cfg.OSUser)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(cfg.Parent, "launchpad-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{bin: cfg.Binaries, dir: dir, password: randomHex(24)}
	if err := s.initdb(ctx, cred, owner); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	// A port picked free may be taken before the server binds it (another test picking at the
	// same moment): try a few.
	for attempt := 1; ; attempt++ {
		err = s.start(ctx, cfg, cred)
		if err == nil {
			return s, nil
		}
		if !strings.Contains(s.log.String(), "could not bind") || attempt == 3 || ctx.Err() != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}

// runAs returns the credential to run initdb and the server with, and the uid/gid that must
// own their directory: the OS user's when this process is root, none otherwise.
func runAs(osUser string) (*syscall.Credential, *syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil, nil
	}
	if osUser == "" {
		osUser = "postgres"
	}
	u, err := user.Lookup(osUser)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: PostgreSQL refuses to run as root and there is no %q account to run it as (%v); %s",
			ErrNotInstalled, osUser, err, InstallHint)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	c := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
	return c, c, nil
}

// initdb creates the cluster in s.dir/data with a password-protected superuser: TCP
// connections must authenticate (scram-sha-256), as on a real server.
func (s *Server) initdb(ctx context.Context, cred, owner *syscall.Credential) error {
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if owner != nil {
		for _, p := range []string{s.dir, pwfile} {
			if err := os.Chown(p, int(owner.Uid), int(owner.Gid)); err != nil {
				return fmt.Errorf("pgtest: giving %s to uid %d: %w", p, owner.Uid, err)
			}
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin.Dir, "initdb"),
		"-D", filepath.Join(s.dir, "data"), "-U", Superuser, "--pwfile="+pwfile,
		"--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb in %s: %v\n%s", s.dir, err, out)
	}
	return os.Remove(pwfile)
}

// start runs the server under its watchdog on a free port and waits until it answers.
func (s *Server) start(ctx context.Context, cfg Config, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(port),
		"unix_socket_directories": s.dir,
		"max_connections":         "200",
		"logging_collector":       "off",
	}
	if !cfg.Durable {
		settings["fsync"], settings["synchronous_commit"], settings["full_page_writes"] = "off", "off", "off"
	}
	for k, v := range cfg.Settings {
		settings[k] = v
	}
	args := []string{"-D", filepath.Join(s.dir, "data")}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		args = append(args, "-c", k+"="+settings[k])
	}

	s.log = &stacktest.Output{} // this attempt's log
	var out io.Writer = s.log
	if cfg.Output != nil {
		out = io.MultiWriter(s.log, cfg.Output)
	}
	// The watchdog: start the server in the background (a non-interactive sh gives it
	// /dev/null as stdin, so it never reads the pipe), wait for the pipe from this process to
	// close, then ask for a fast shutdown (SIGINT: roll back, checkpoint, exit), wait for it
	// and remove the directory.
	script := `"$@" & pid=$!; read -r _; kill -INT "$pid" 2>/dev/null; wait "$pid"; rm -rf "$PGTEST_DIR"`
	s.cmd = exec.Command("/bin/sh", append([]string{"-c", script, "pgtest-watchdog", filepath.Join(s.bin.Dir, "postgres")}, args...)...)
	s.cmd.Dir = s.dir
	s.cmd.Env = append(os.Environ(), "PGTEST_DIR="+s.dir, "LC_ALL=C")
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: starting %s/postgres: %w", s.bin.Dir, err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(s.cmd, s.done)
	if err := s.waitReady(ctx); err != nil {
		s.kill()
		return fmt.Errorf("pgtest: %w; the server's log:\n%s", err, s.log.String())
	}
	return nil
}

func (s *Server) waitReady(ctx context.Context) error {
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attempt, s.URL("postgres"))
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.done:
			return errors.New("the server exited before it accepted connections")
		case <-ctx.Done():
			return fmt.Errorf("the server did not accept connections on port %d in time (%v)", s.port, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URL is a connection URL of database as the superuser, over TCP with its password.
func (s *Server) URL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(Superuser, s.password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), Path: "/" + database,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// Password is the superuser's password (tests check it never reaches a log or an error).
func (s *Server) Password() string { return s.password }

// Port is the TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// SocketDir is the directory of the server's Unix socket.
func (s *Server) SocketDir() string { return s.dir }

// Version is the server's version, e.g. "PostgreSQL 15.18".
func (s *Server) Version() string { return s.bin.Version }

// Log is what the server has logged so far.
func (s *Server) Log() string { return s.log.String() }

// Stop shuts the server down (fast shutdown), waits until its processes are gone and its
// directory is removed. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	_ = s.stdin.Close()
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.kill()
		return fmt.Errorf("pgtest: the server in %s did not shut down within 60s; killed it", s.dir)
	}
	// The watchdog removed the directory as the server's user; what it could not remove
	// (nothing, normally) goes now.
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("pgtest: removing %s: %w", s.dir, err)
	}
	return nil
}

// kill ends the watchdog's whole process group at once (a server that would not start).
func (s *Server) kill() {
	_ = s.stdin.Close()
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(-s.cmd.Process.Pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// Pid is the watchdog's process id, which is also its process group's (the server's
// processes belong to it).
func (s *Server) Pid() int { return s.cmd.Process.Pid }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
