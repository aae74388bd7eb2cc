package backup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

var launchpadBinary stacktest.Binary

func TestMain(m *testing.M) { os.Exit(launchpadBinary.RunAndRemove(m)) }

func TestUsage(t *testing.T) {
	ctx := context.Background()
	getenv := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		env  string
		code int
		says string
	}{
		{nil, "", 2, "takes one argument"},
		{[]string{"a.db", "b.db"}, "", 2, "takes one argument"},
		{[]string{"copy.db"}, "firestore://my-project-1", 2, "managed export"},
		{[]string{"copy.db"}, "mysql://x", 2, "not a store URL"},
		{[]string{"copy.db"}, "sqlite:///nonexistent/launchpad.db", 1, "there is no store"},
	} {
		var out, errb bytes.Buffer
		env := func(k string) string {
			if k == "LAUNCHPAD_STORE" {
				return tc.env
			}
			return getenv(k)
		}
		if code := run(ctx, tc.args, env, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.says) {
			t.Errorf("backup %v with LAUNCHPAD_STORE=%q: exit %d, %q; want %d saying %q", tc.args, tc.env, code, errb.String(), tc.code, tc.says)
		}
	}
}

// TestBackupUnderRunningServeRestores is the restore drill: serve runs on a SQLite store while
// another process keeps appending audit events (as tofu's providers do); `backup` copies it
// meanwhile; `audit --verify` passes on the copy; serve starts on the copy and is ready.
func TestBackupUnderRunningServeRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: runs serve (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := launchpadBinary.Path(t)
	dir := t.TempDir()
	live := filepath.Join(dir, "live", "launchpad.db")
	// The restored copy is opened with the live store's secret: serve refuses a store whose
	// credentials are sealed under another.
	secret := stack.RandomHex(32)
	serveEnv := func(storePath, name string) map[string]string {
		env := stack.BaseEnv()
		for k, v := range map[string]string{
			"PLATFORM_SECRET":          secret,
			"LAUNCHPAD_STORE":          "sqlite://" + storePath,
			"LAUNCHPAD_ADDR":           "127.0.0.1:0",
			"LAUNCHPAD_SMTP_URL":       "log:",
			"LAUNCHPAD_TOFU":           fakeTofu(t),
			"LAUNCHPAD_DATA_DIR":       filepath.Join(dir, name+"-work"),
			"LAUNCHPAD_METER_INTERVAL": "off",
		} {
			env[k] = v
		}
		return env
	}
	srv, err := stack.StartServe(ctx, bin, serveEnv(live, "live"), filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(10 * time.Second)

	// Another writer of the same store, as the provider inside each tofu run is.
	db, err := sqlite.Open(ctx, live, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	appendOne := func(i int) error {
		_, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: fmt.Sprintf("user-%d", i%5), Actor: launchpad.ActorSystem,
			Action: launchpad.AuditApplyStarted, Details: map[string]string{"n": strconv.Itoa(i)}})
		return err
	}
	for i := 0; i < 200; i++ {
		if err := appendOne(i); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 200; ; i++ {
			select {
			case <-stop:
				written = i
				return
			default:
			}
			if err := appendOne(i); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	copyPath := filepath.Join(dir, "backups", "launchpad-copy.db")
	out, err := exec.CommandContext(ctx, bin, "backup", "--store", "sqlite://"+live, copyPath).CombinedOutput()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup under a running serve: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(\d+) audit events; integrity check ok`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("backup did not report what it copied:\n%s", out)
	}
	copied, _ := strconv.Atoi(string(m[1]))
	t.Logf("backup copied %d audit events while %d were written in all:\n%s", copied, written, out)
	if copied < 200 || copied > written {
		t.Fatalf("the copy holds %d events; 200 were there before it began and %d at the end", copied, written)
	}
	if done, err := srv.Exited(); done {
		t.Fatalf("serve exited during the backup: %v", err)
	}

	verify := exec.CommandContext(ctx, bin, "audit", "--verify")
	verify.Env = []string{"LAUNCHPAD_STORE=sqlite://" + copyPath, "PATH=" + os.Getenv("PATH")}
	out, err = verify.CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("audit: %d events in", copied)) {
		t.Fatalf("audit --verify on the copy: %v\n%s", err, out)
	}

	// The drill: serve on the copy starts, migrates nothing, and is ready; healthcheck agrees.
	srv.Stop(10 * time.Second)
	restored, err := stack.StartServe(ctx, bin, serveEnv(copyPath, "restored"), filepath.Join(dir, "restored.log"))
	if err != nil {
		t.Fatalf("serve on the restored copy: %v", err)
	}
	defer restored.Stop(10 * time.Second)
	check := exec.CommandContext(ctx, bin, "healthcheck")
	check.Env = []string{"LAUNCHPAD_ADDR=" + strings.TrimPrefix(restored.URL, "http://")}
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "200 OK") {
		t.Fatalf("healthcheck of serve on the restored copy: %v\n%s", err, out)
	}
}

// fakeTofu stands in for tofu: serve only checks that LAUNCHPAD_TOFU can be run.
func fakeTofu(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tofu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBackupToStdout: FILE "-" streams the copy, for containers without a shell.
func TestBackupToStdout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "launchpad.db")
	db, err := sqlite.Open(ctx, src, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u1", Actor: launchpad.ActorSystem, Action: launchpad.AuditApplyStarted}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"--store", "sqlite://" + src, "-"}, func(string) string { return "" }, &out, &errb); code != 0 {
		t.Fatalf("backup -: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "1 audit events") || out.Len() == 0 {
		t.Fatalf("backup - said %q and wrote %d bytes", errb.String(), out.Len())
	}
	copyPath := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(copyPath, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	restored, err := sqlite.Open(ctx, copyPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	events, err := restored.ListAudit(ctx, launchpad.AuditFilter{Stream: "u1", Limit: 10})
	if err != nil || len(events) != 1 || launchpad.VerifyChain(nil, events) != nil {
		t.Fatalf("the streamed copy holds %d events: %v", len(events), err)
	}
}
