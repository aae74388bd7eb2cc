package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestFindReportsWhatIsMissing(t *testing.T) {
	empty := t.TempDir()
	_, err := Find(empty)
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Find(%q) = %v, want ErrNotInstalled", empty, err)
	}
	for _, want := range []string{empty, "initdb", "apt-get install postgresql", EnvBin} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Find error %q does not mention %q", err, want)
		}
	}
}

// startForTest starts a server of its own (these tests are about starting and stopping).
func startForTest(t *testing.T) *Server {
	t.Helper()
	bin, err := Find(os.Getenv(EnvBin))
	if err != nil {
		Missing(t, err)
	}
	s, err := Start(context.Background(), Config{Binaries: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// TestStartStopLeavesNothingBehind starts a real server, checks that it needs its password
// over TCP, stops it, and checks that its processes and its directory are gone.
func TestStartStopLeavesNothingBehind(t *testing.T) {
	s := startForTest(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	t.Logf("%s answered on port %d (server_version %s)", s.Version(), s.Port(), version)

	wrong := strings.Replace(s.URL("postgres"), s.Password(), "not-the-password", 1)
	if c, err := pgx.Connect(ctx, wrong); err == nil {
		c.Close(ctx)
		t.Fatal("the server accepted a wrong password over TCP")
	}

	pgid := s.Pid()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pgid, 0); err == nil {
		t.Fatalf("process group %d still has processes after Stop", pgid)
	}
	if _, err := os.Stat(s.SocketDir()); !os.IsNotExist(err) {
		t.Fatalf("the server's directory %s is left behind (%v)", s.SocketDir(), err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestWatchdogStopsServerWhenParentDies closes the watchdog's pipe without calling Stop, as
// happens when the test process dies, and checks that the server shuts down and its directory
// goes by itself.
func TestWatchdogStopsServerWhenParentDies(t *testing.T) {
	s := startForTest(t)
	pgid := s.Pid()
	_ = s.stdin.Close() // what the kernel does to the pipe when this process exits
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still running 30s after its watchdog pipe closed", pgid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(s.SocketDir(), "data")); !os.IsNotExist(err) {
		t.Fatalf("the watchdog left the data directory behind (%v)", err)
	}
}

func TestForTestsRefusesADeadServerURL(t *testing.T) {
	t.Setenv(EnvURL, "postgres://nobody:secret-pw@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2")
	_, _, _, err := ForTests(t.Context(), nil)
	if err == nil || !strings.Contains(err.Error(), EnvURL) {
		t.Fatalf("ForTests with %s pointing at nothing = %v, want an error naming the variable", EnvURL, err)
	}
	if strings.Contains(err.Error(), "secret-pw") {
		t.Fatalf("the error quotes the password: %v", err)
	}
}
