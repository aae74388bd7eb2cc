package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// The provider and the control plane open one file from two processes. Two *DB handles on one
// file share nothing in memory (each has its own connections and its own writer queue), so
// between them only SQLite's file locks and BEGIN IMMEDIATE keep order, as between processes.
// TestTwoProcessesShareOneFile then does the same with real processes.

var base = time.Date(2041, time.March, 14, 15, 9, 26, 0, time.UTC)

func TestTwoHandlesUpdateOneUser(t *testing.T) {
	ctx := t.Context()
	a, path := sqlitetest.Open(t, sqlite.Options{})
	b := sqlitetest.OpenPath(t, path, sqlite.Options{})
	if err := a.CreateUser(ctx, &launchpad.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	storetest.Race(16, func(i int) {
		s := []*sqlite.DB{a, b}[i%2]
		if _, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error { u.MFA.LastStep++; return nil }); err != nil {
			t.Errorf("UpdateUser through handle %d: %v", i%2, err)
		}
	})
	u, err := b.GetUser(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if u.MFA.LastStep != 16 {
		t.Fatalf("counter = %d after 16 increments through two handles (an update was lost)", u.MFA.LastStep)
	}
}

func TestTwoHandlesRecordOneEvent(t *testing.T) {
	ctx := t.Context()
	a, path := sqlitetest.Open(t, sqlite.Options{})
	b := sqlitetest.OpenPath(t, path, sqlite.Options{})
	var mu sync.Mutex
	recorded := 0
	storetest.Race(16, func(i int) {
		s := []*sqlite.DB{a, b}[i%2]
		ok, err := s.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: "evt_1", Payload: []byte("{}")},
			&launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "evt_1"})
		if err != nil {
			t.Errorf("RecordStripeEvent through handle %d: %v", i%2, err)
		}
		if ok {
			mu.Lock()
			recorded++
			mu.Unlock()
		}
	})
	if recorded != 1 {
		t.Fatalf("%d writers recorded the event, want exactly 1", recorded)
	}
	jobs, err := a.ListJobs(ctx, launchpad.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Fatalf("%d jobs for one event, want 1", len(jobs))
	}
}

func TestTwoHandlesClaimJobs(t *testing.T) {
	ctx := t.Context()
	a, path := sqlitetest.Open(t, sqlite.Options{})
	b := sqlitetest.OpenPath(t, path, sqlite.Options{})
	const n = 40
	for i := range n {
		if _, err := a.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: fmt.Sprintf("u%02d", i), CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	// One more job of an existing key: it must wait, whichever handle looks.
	if _, err := b.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: "u00", CreatedAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	claims := map[string]int{}
	storetest.Race(16, func(i int) {
		s := []*sqlite.DB{a, b}[i%2]
		for {
			j, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: fmt.Sprintf("w%02d", i), Lease: time.Minute, Now: base.Add(2 * time.Hour)})
			if launchpad.IsNotFound(err) {
				return
			}
			if err != nil {
				t.Errorf("ClaimJob through handle %d: %v", i%2, err)
				return
			}
			mu.Lock()
			claims[j.ID]++
			mu.Unlock()
		}
	})
	if len(claims) != n {
		t.Fatalf("%d distinct jobs claimed, want %d (one per key)", len(claims), n)
	}
	for id, c := range claims {
		if c != 1 {
			t.Errorf("job %s claimed %d times", id, c)
		}
	}
}

// TestTwoProcessesShareOneFile starts two copies of this test binary on one database file.
// Both record the same 200 Stripe events (each with its job) at the same moment, then both
// claim jobs until none is left: every event must be recorded once and every job claimed once.
func TestTwoProcessesShareOneFile(t *testing.T) {
	const events = 200
	path := filepath.Join(t.TempDir(), "launchpad.db")
	sqlitetest.OpenPath(t, path, sqlite.Options{}) // create and migrate the file before the race

	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Scanner
		lines []string
	}
	children := make([]*child, 2)
	for i := range children {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+path, helperEventsEnv+"="+fmt.Sprint(events), helperNameEnv+"="+fmt.Sprintf("proc%d", i))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	}
	// Each child says "ready" before each phase and waits for a line on stdin, so both
	// start recording, and both start claiming, at the same moment.
	for phase := 0; phase < 2; phase++ {
		for _, c := range children {
			if !waitFor(c.out, "ready", &c.lines) {
				t.Fatalf("a helper process ended before phase %d: %v", phase, c.lines)
			}
		}
		for _, c := range children {
			fmt.Fprintln(c.stdin, "go")
		}
	}
	for _, c := range children {
		waitFor(c.out, "done", &c.lines)
		c.stdin.Close()
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("helper process: %v (output %v)", err, c.lines)
		}
	}

	recorded, claimed := map[string]int{}, map[string]int{}
	for _, c := range children {
		for _, line := range c.lines {
			switch kind, id, _ := strings.Cut(line, " "); kind {
			case "recorded":
				recorded[id]++
			case "claimed":
				claimed[id]++
			case "error":
				t.Errorf("helper: %s", id)
			}
		}
	}
	if len(recorded) != events {
		t.Errorf("%d distinct events recorded by the two processes, want %d", len(recorded), events)
	}
	for id, n := range recorded {
		if n != 1 {
			t.Errorf("event %s recorded %d times", id, n)
		}
	}
	if len(claimed) != events {
		t.Errorf("%d distinct jobs claimed by the two processes, want %d", len(claimed), events)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("job %s claimed %d times", id, n)
		}
	}
	t.Logf("process 0 recorded %d and claimed %d; process 1 recorded %d and claimed %d",
		count(children[0].lines, "recorded"), count(children[0].lines, "claimed"),
		count(children[1].lines, "recorded"), count(children[1].lines, "claimed"))
}

// The helper process: TestMain runs it instead of the tests when helperEnv names a file.
const (
	helperEnv       = "LAUNCHPAD_SQLITE_TEST_HELPER_DB"
	helperEventsEnv = "LAUNCHPAD_SQLITE_TEST_HELPER_EVENTS"
	helperNameEnv   = "LAUNCHPAD_SQLITE_TEST_HELPER_NAME"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(helperProcess(path))
	}
	os.Exit(m.Run())
}

func helperProcess(path string) int {
	ctx := context.Background()
	var events int
	if _, err := fmt.Sscan(os.Getenv(helperEventsEnv), &events); err != nil {
		fmt.Printf("error %s=%q: %v\n", helperEventsEnv, os.Getenv(helperEventsEnv), err)
		return 1
	}
	name := os.Getenv(helperNameEnv)
	// SQLite's lock is not fair: a process that writes in a tight loop can keep the other
	// waiting for a long time on a loaded machine. This test is about exactly-once, not about
	// latency, so the helpers wait longer than production would.
	db, err := sqlite.Open(ctx, path, sqlite.Options{BusyTimeout: 2 * time.Minute})
	if err != nil {
		fmt.Println("error open:", err)
		return 1
	}
	defer db.Close()
	in := bufio.NewScanner(os.Stdin)

	fmt.Println("ready")
	in.Scan()
	for i := range events {
		id := fmt.Sprintf("evt_%03d", i)
		ok, err := db.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: id, Payload: []byte(name)},
			&launchpad.Job{Kind: launchpad.JobStripeEvent, Key: id, Payload: []byte(id)})
		switch {
		case err != nil:
			fmt.Println("error record:", err)
		case ok:
			fmt.Println("recorded", id)
		}
	}

	fmt.Println("ready")
	in.Scan()
	for {
		j, err := db.ClaimJob(ctx, launchpad.JobClaim{Worker: name, Lease: time.Hour, Now: base})
		if launchpad.IsNotFound(err) {
			break
		}
		if err != nil {
			fmt.Println("error claim:", err)
			break
		}
		fmt.Println("claimed", string(j.Payload))
	}
	fmt.Println("done")
	return 0
}

// waitFor reads lines into *lines until one equals want; false if the output ended first.
func waitFor(s *bufio.Scanner, want string, lines *[]string) bool {
	for s.Scan() {
		if s.Text() == want {
			return true
		}
		*lines = append(*lines, s.Text())
	}
	return false
}

func count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix+" ") {
			n++
		}
	}
	return n
}
