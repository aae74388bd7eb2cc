package runner_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// newStore opens a fresh SQLite store in the test's temporary directory and returns it, with
// its job logs watched, and its path.
func newStore(t *testing.T) (*logWatch, string) {
	t.Helper()
	s, path := sqlitetest.Open(t, sqlite.Options{})
	return &logWatch{Store: s, appended: make(chan struct{}, 1)}, path
}

// logWatch is a store that signals each append to a job's log, so that a test waits for a
// line to show (waitForLog) instead of polling for it.
type logWatch struct {
	launchpad.Store
	appended chan struct{}
}

func (s *logWatch) AppendJobLog(ctx context.Context, id string, p []byte) error {
	err := s.Store.AppendJobLog(ctx, id, p)
	select {
	case s.appended <- struct{}{}:
	default: // one pending signal is enough: the waiter reads the whole log again
	}
	return err
}

// waitForLog waits until the job's log contains want, reading it again after each append.
func waitForLog(t *testing.T, s *logWatch, id, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(jobLog(t, s, id), want) {
		select {
		case <-s.appended:
		case <-deadline:
			t.Fatalf("the job log never showed %q:\n%s", want, jobLog(t, s, id))
		}
	}
}

// fakeProvider is a file standing in for the provider binary in runs that use only built-in
// resources (tofu never starts it).
func fakeProvider(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bin", runner.ProviderBinaryName)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// launchpadBinary is the provider of the end-to-end tests, built on first use.
var launchpadBinary stacktest.Binary

// TestMain removes the provider binary built for the end-to-end tests, if any.
func TestMain(m *testing.M) { os.Exit(launchpadBinary.RunAndRemove(m)) }

// dataRender renders a desired state as built-in terraform_data resources, so runner tests
// run before (and without) the provider: "tenant" holds the plan, "subkey" the user, and a
// destroy is an empty configuration.
func dataRender(d launchpad.ApplyRequest) ([]byte, error) {
	if d.Destroy {
		return []byte("{}\n"), nil
	}
	return json.Marshal(map[string]any{"resource": map[string]any{"terraform_data": map[string]any{
		"tenant": map[string]any{"input": runner.Literal(d.Plan + "/" + d.Region + "/" + d.Image)},
		"subkey": map[string]any{"input": runner.Literal(d.UserID)},
	}}})
}

// applyJob enqueues a JobApply job for d and returns it as a worker would hold it.
func applyJob(t *testing.T, s launchpad.Store, d launchpad.ApplyRequest) *launchpad.Job {
	t.Helper()
	// The previous job of this user, if the test left it running, is done now.
	running, err := s.ListJobs(t.Context(), launchpad.JobFilter{Key: d.UserID, Status: launchpad.JobRunning})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range running {
		if _, err := s.FinishJob(t.Context(), r.ID, "test", launchpad.JobResult{Status: launchpad.JobSucceeded}, time.Now()); err != nil {
			t.Fatalf("FinishJob: %v", err)
		}
	}
	j, err := s.EnqueueJob(t.Context(), &launchpad.Job{Kind: launchpad.JobApply, Key: d.UserID, Payload: d.Payload(), Supersede: true})
	if err != nil {
		t.Fatalf("EnqueueJob: %v", err)
	}
	claimed, err := s.ClaimJob(t.Context(), launchpad.JobClaim{Worker: "test", Kinds: []string{launchpad.JobApply}, Lease: time.Hour, Now: time.Now()})
	if err != nil || claimed.ID != j.ID {
		t.Fatalf("ClaimJob: %v (claimed %+v, want %s)", err, claimed, j.ID)
	}
	return claimed
}

func jobLog(t *testing.T, s launchpad.Store, id string) string {
	t.Helper()
	b, err := s.ReadJobLog(context.Background(), id, 0)
	if err != nil {
		t.Fatalf("ReadJobLog: %v", err)
	}
	return string(b)
}

func auditActions(t *testing.T, s launchpad.Store, user string) []*launchpad.AuditEvent {
	t.Helper()
	evs, err := s.ListAudit(t.Context(), launchpad.AuditFilter{Stream: user, Limit: 1000})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	return evs
}

// stateResources returns the resource addresses in the stored state of workspace.
func stateResources(t *testing.T, s launchpad.Store, workspace string) []string {
	t.Helper()
	b, err := s.GetState(t.Context(), workspace)
	if err != nil {
		t.Fatalf("GetState(%s): %v", workspace, err)
	}
	var st struct {
		Resources []struct {
			Type, Name string
		} `json:"resources"`
	}
	if err := json.Unmarshal(b.Data, &st); err != nil {
		t.Fatalf("stored state is not JSON: %v", err)
	}
	var out []string
	for _, r := range st.Resources {
		out = append(out, r.Type+"."+r.Name)
	}
	return out
}
