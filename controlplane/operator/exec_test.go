package operator

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// fixture is a user with one tenant whose machine runs on the Fly simulator.
type fixture struct {
	store   *sqlite.DB
	fly     *simtest.FlyServer
	rt      *fly.Client
	userID  string
	app     string
	machine string

	mu    sync.Mutex
	ran   [][]string // commands the machine received, through the ExecHook
	onRun func(cmd []string)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{userID: "user1abc"}
	var err error
	if f.store, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "launchpad.db"), sqlite.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.store.Close() })
	f.fly = simtest.StartFly(t, sim.FlyOptions{})
	f.fly.Sim.ExecHook(func(app, machineID string, cmd []string) (string, string, int) {
		f.mu.Lock()
		f.ran = append(f.ran, cmd)
		hook := f.onRun
		f.mu.Unlock()
		if hook != nil {
			hook(cmd)
		}
		return "hello from " + app + "\n", "a warning\n", 3
	})
	if f.rt, err = fly.New(ctx, fly.Config{BaseURL: f.fly.URL, Token: f.fly.Token, Org: "personal", Timeout: 10 * time.Second,
		Retry: fly.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	if f.app, err = launchpad.AppName("hermes", f.userID, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.CreateApp(ctx, launchpad.AppSpec{Name: f.app, Org: "personal", Network: f.app}); err != nil {
		t.Fatal(err)
	}
	m, err := f.rt.CreateMachine(ctx, f.app, launchpad.MachineSpec{Name: "agent", Region: "iad", Image: "registry.fly.io/hermes:1",
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 512}})
	if err != nil {
		t.Fatal(err)
	}
	// Fly answers a create before the machine has started: the fixture is a tenant that runs.
	if err := f.rt.WaitMachine(ctx, f.app, m.ID, launchpad.MachineStarted, time.Minute); err != nil {
		t.Fatal(err)
	}
	f.machine = m.ID
	if err := f.store.CreateUser(ctx, &launchpad.User{ID: f.userID, Email: "user@example.com", Plan: "pro"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateTenant(ctx, &launchpad.Tenant{AppName: f.app, UserID: f.userID, Product: "hermes", Region: "iad", Plan: "pro",
		Network: f.app, MachineID: f.machine}); err != nil {
		t.Fatal(err)
	}
	return f
}

// executed returns the commands the machine received, as the hook saw them and as the
// simulator's snapshot recorded them; the two must agree.
func (f *fixture) executed(t *testing.T) [][]string {
	t.Helper()
	f.mu.Lock()
	ran := slices.Clone(f.ran)
	f.mu.Unlock()
	var recorded [][]string
	for _, a := range f.fly.Sim.Snapshot().Apps {
		for _, m := range a.Machines {
			for _, e := range m.Execs {
				recorded = append(recorded, e.Cmd)
			}
		}
	}
	if len(recorded) != len(ran) {
		t.Fatalf("the hook saw %d commands, the simulator recorded %d", len(ran), len(recorded))
	}
	return recorded
}

func (f *fixture) audit(t *testing.T) []*launchpad.AuditEvent {
	t.Helper()
	events, err := f.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: f.userID})
	if err != nil {
		t.Fatal(err)
	}
	if err := launchpad.VerifyChain(nil, events); err != nil {
		t.Fatal(err)
	}
	return events
}

// failingAudit is the store with an audit log that cannot be written.
type failingAudit struct {
	launchpad.Store
}

func (failingAudit) AppendAudit(context.Context, *launchpad.AuditEvent) (*launchpad.AuditEvent, error) {
	return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "the database is not reachable")
}

func TestExecWhoseAuditFailsDoesNotRun(t *testing.T) {
	f := newFixture(t)
	out, err := Run(context.Background(), failingAudit{f.store}, f.rt, Request{UserID: f.userID, Operator: "alice", Command: []string{"cat", "/workspace/notes"}})
	if out != nil || launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || !strings.Contains(launchpad.ErrorMessage(err), "not run") {
		t.Fatalf("Run = %v, %v; want no outcome and an EUNAVAILABLE error saying nothing ran", out, err)
	}
	if ran := f.executed(t); len(ran) != 0 {
		t.Fatalf("the machine ran %v although the audit write failed", ran)
	}
	if events := f.audit(t); len(events) != 0 {
		t.Fatalf("audit stream holds %d events", len(events))
	}
}

func TestExecIsAuditedBeforeItRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// When the machine receives the command, the "requested" event is already in the
	// user's stream.
	var seenAtRun []*launchpad.AuditEvent
	f.onRun = func([]string) {
		seenAtRun, _ = f.store.ListAudit(ctx, launchpad.AuditFilter{Stream: f.userID})
	}
	cmd := []string{"ls", "-la", "/workspace/.hermes"}
	out, err := Run(ctx, f.store, f.rt, Request{UserID: f.userID, Operator: "alice", Command: cmd, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res := out.Result
	if res.ExitCode != 3 || res.Stdout != "hello from "+f.app+"\n" || res.Stderr != "a warning\n" {
		t.Fatalf("result %+v", res)
	}
	if ran := f.executed(t); len(ran) != 1 || !slices.Equal(ran[0], cmd) {
		t.Fatalf("machine ran %v, want %v", ran, cmd)
	}
	if len(seenAtRun) != 1 || seenAtRun[0].Details["phase"] != PhaseRequested {
		t.Fatalf("when the command ran the audit stream held %+v; want the requested event", seenAtRun)
	}

	events := f.audit(t)
	if len(events) != 2 {
		t.Fatalf("%d audit events, want requested and completed", len(events))
	}
	req, done := events[0], events[1]
	var gotCmd []string
	if err := json.Unmarshal([]byte(req.Details["command"]), &gotCmd); err != nil || !slices.Equal(gotCmd, cmd) {
		t.Fatalf("audited command %q, want %v as a JSON array", req.Details["command"], cmd)
	}
	if req.Action != launchpad.AuditOperatorExec || req.Actor != "operator:alice" || req.Target != f.app ||
		req.Details["machine"] != f.machine || req.Details["app"] != f.app || req.Details["timeout"] != "20s" {
		t.Fatalf("requested event %+v", req)
	}
	if done.Seq <= req.Seq || done.Actor != "operator:alice" || done.Details["phase"] != PhaseCompleted || done.Details["request"] != req.ID ||
		done.Details["exit_code"] != "3" || done.Details["stdout_bytes"] != strconv.Itoa(len(res.Stdout)) || done.Details["stderr_bytes"] != "10" {
		t.Fatalf("completed event %+v", done)
	}
	for _, e := range events {
		for _, v := range e.Details {
			if strings.Contains(v, "hello from") || strings.Contains(v, "a warning") {
				t.Fatal("the command's output reached the audit log")
			}
		}
	}
}

func TestExecFailureIsAudited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.rt.StopMachine(ctx, f.app, f.machine); err != nil {
		t.Fatal(err)
	}
	_, err := Run(ctx, f.store, f.rt, Request{UserID: f.userID, Operator: "bob", Command: []string{"uptime"}})
	if err == nil || !strings.Contains(launchpad.ErrorMessage(err), f.machine) {
		t.Fatalf("exec on a stopped machine: %v", err)
	}
	events := f.audit(t)
	if len(events) != 2 || events[0].Details["phase"] != PhaseRequested || events[1].Details["phase"] != PhaseFailed || events[1].Details["error_code"] == "" {
		t.Fatalf("audit events %+v; want requested then failed", events)
	}
}

func TestExecRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, _ := launchpad.AppName("hermes", "user2xyz", time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC))
	cases := []struct {
		name string
		req  Request
		code string
		want string
	}{
		{"empty command", Request{UserID: f.userID, Operator: "alice"}, launchpad.EINVALID, "command is empty"},
		{"empty program", Request{UserID: f.userID, Operator: "alice", Command: []string{""}}, launchpad.EINVALID, "command is empty"},
		{"NUL", Request{UserID: f.userID, Operator: "alice", Command: []string{"echo", "a\x00b"}}, launchpad.EINVALID, "NUL"},
		{"not UTF-8", Request{UserID: f.userID, Operator: "alice", Command: []string{"echo", "\xff"}}, launchpad.EINVALID, "UTF-8"},
		{"too long", Request{UserID: f.userID, Operator: "alice", Command: []string{"echo", strings.Repeat("x", MaxCommandBytes)}}, launchpad.EINVALID, "bytes long"},
		{"too many args", Request{UserID: f.userID, Operator: "alice", Command: slices.Repeat([]string{"x"}, MaxArgs+1)}, launchpad.EINVALID, "arguments"},
		{"a key in the command", Request{UserID: f.userID, Operator: "alice", Command: []string{"curl", "-H", "Authorization: Bearer sk-or-v1-abc"}}, launchpad.EINVALID, "looks like an API key"},
		{"operator with a colon", Request{UserID: f.userID, Operator: "user:evil", Command: []string{"ls"}}, launchpad.EINVALID, "operator name"},
		{"no operator", Request{UserID: f.userID, Command: []string{"ls"}}, launchpad.EINVALID, "operator name"},
		{"bad user id", Request{UserID: "../etc", Operator: "alice", Command: []string{"ls"}}, launchpad.EINVALID, "user id"},
		{"timeout", Request{UserID: f.userID, Operator: "alice", Command: []string{"ls"}, Timeout: time.Hour}, launchpad.EINVALID, "timeout"},
		{"no tenant", Request{UserID: "user9zzz", Operator: "alice", Command: []string{"ls"}}, launchpad.ENOTFOUND, "has no tenant"},
		{"another user's app", Request{UserID: f.userID, App: other, Operator: "alice", Command: []string{"ls"}}, launchpad.ENOTFOUND, "has no tenant " + other},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Run(ctx, f.store, f.rt, c.req)
			if launchpad.ErrorCode(err) != c.code || !strings.Contains(launchpad.ErrorMessage(err), c.want) {
				t.Fatalf("err = %v; want %s mentioning %q", err, c.code, c.want)
			}
		})
	}
	if ran := f.executed(t); len(ran) != 0 {
		t.Fatalf("refused commands ran: %v", ran)
	}
	if events := f.audit(t); len(events) != 0 {
		t.Fatalf("refused commands were audited: %d events", len(events))
	}

	// A second tenant: the app must be named.
	if err := f.store.CreateTenant(ctx, &launchpad.Tenant{AppName: other, UserID: f.userID, Network: other, MachineID: "m2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, f.store, f.rt, Request{UserID: f.userID, Operator: "alice", Command: []string{"ls"}}); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "name the app") {
		t.Fatalf("two tenants without an app: %v", err)
	}
	if out, err := Run(ctx, f.store, f.rt, Request{UserID: f.userID, App: f.app, Operator: "alice", Command: []string{"ls"}}); err != nil || out.App != f.app {
		t.Fatalf("naming the app: %+v, %v", out, err)
	}
}
