package runner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// newDataRunner returns a runner of terraform_data workspaces (render) on a fresh store.
func newDataRunner(t *testing.T, render func(launchpad.ApplyRequest) ([]byte, error), mutate ...func(*runner.Config)) (*runner.Runner, *logWatch, string) {
	t.Helper()
	tofu := stacktest.Tofu(t)
	s, _ := newStore(t)
	dataDir := t.TempDir()
	cfg := runner.Config{
		Store: s, Tofu: tofu, DataDir: dataDir, ProviderBinary: fakeProvider(t), Render: render,
		ProviderEnv: map[string]string{"PLATFORM_SECRET": "platform-secret-for-the-runner-tests"},
		Logger:      stacktest.Logger(t),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	r, err := runner.New(cfg)
	if err != nil {
		t.Fatalf("runner.New: %v", err)
	}
	return r, s, dataDir
}

func TestRunRestoresAndSavesStateAndCountsChanges(t *testing.T) {
	r, s, dataDir := newDataRunner(t, dataRender)
	ctx := t.Context()
	user := "user01"

	// 1. First apply: both resources are created, and the state is stored.
	j1 := applyJob(t, s, launchpad.ApplyRequest{UserID: user, Plan: "starter"})
	start := time.Now()
	sum, err := r.Run(ctx, j1)
	t.Logf("first apply (2 terraform_data created): %s", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("first run: %v\nlog:\n%s", err, jobLog(t, s, j1.ID))
	}
	if sum != (launchpad.PlanSummary{Add: 2}) {
		t.Fatalf("first run summary %+v, want 2 to add", sum)
	}
	if got := stateResources(t, s, user); !slices.Equal(got, []string{"terraform_data.subkey", "terraform_data.tenant"}) {
		t.Fatalf("stored state holds %v after the first apply", got)
	}
	log1 := jobLog(t, s, j1.ID)
	for _, want := range []string{"terraform_data.tenant: Creation complete", "Plan: 2 to add, 0 to change, 0 to destroy", "done in"} {
		if !strings.Contains(log1, want) {
			t.Errorf("job log lacks %q:\n%s", want, log1)
		}
	}

	// 2. The work directory is lost (another replica, a wiped disk): the plan change must
	// still be an in-place change, which proves the state came back from the store.
	if err := os.RemoveAll(filepath.Join(dataDir, "workspaces", user)); err != nil {
		t.Fatal(err)
	}
	j2 := applyJob(t, s, launchpad.ApplyRequest{UserID: user, Plan: "pro"})
	sum, err = r.Run(ctx, j2)
	if err != nil {
		t.Fatalf("second run: %v\nlog:\n%s", err, jobLog(t, s, j2.ID))
	}
	if sum != (launchpad.PlanSummary{Change: 1}) {
		t.Fatalf("plan change summary %+v, want 1 to change (the tenant) and nothing added: state was not restored", sum)
	}

	// 3. The same desired state again: a no-op run.
	j3 := applyJob(t, s, launchpad.ApplyRequest{UserID: user, Plan: "pro"})
	start = time.Now()
	sum, err = r.Run(ctx, j3)
	t.Logf("no-op run: %s", time.Since(start).Round(time.Millisecond))
	if err != nil || sum != (launchpad.PlanSummary{}) {
		t.Fatalf("no-op run: %+v, %v; want nothing to do", sum, err)
	}
	if log3 := jobLog(t, s, j3.ID); !strings.Contains(log3, "no changes; nothing to apply") {
		t.Errorf("no-op job log does not say nothing was applied:\n%s", log3)
	}

	// 4. Destroy: everything goes, and the stored state is empty.
	j4 := applyJob(t, s, launchpad.ApplyRequest{UserID: user, Destroy: true, Reason: launchpad.ReasonEnded})
	sum, err = r.Run(ctx, j4)
	if err != nil || sum != (launchpad.PlanSummary{Destroy: 2}) {
		t.Fatalf("destroy run: %+v, %v; want 2 to destroy", sum, err)
	}
	if got := stateResources(t, s, user); len(got) != 0 {
		t.Fatalf("stored state after the destroy still holds %v", got)
	}

	// The audit stream tells the story with the summaries.
	var got []string
	for _, e := range auditActions(t, s, user) {
		got = append(got, e.Action+" "+e.Details["adds"]+"/"+e.Details["changes"]+"/"+e.Details["destroys"])
	}
	want := []string{
		"apply.started //", "apply.finished 2/0/0",
		"apply.started //", "apply.finished 0/1/0",
		"apply.started //", "apply.finished 0/0/0",
		"apply.started //", "apply.finished 0/0/2",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit events %q, want %q", got, want)
	}
}

// failingRender adds a resource whose creation fails (its provisioner exits 1) next to one
// that succeeds.
func failingRender(d launchpad.ApplyRequest) ([]byte, error) {
	return []byte(`{"resource":{"terraform_data":{
  "ok":  {"input": "fine"},
  "bad": {"depends_on": ["terraform_data.ok"], "input": "x",
          "provisioner": [{"local-exec": {"command": "echo the cloud said no >&2; exit 1"}}]}}}}`), nil
}

func TestFailedRunStillSavesState(t *testing.T) {
	r, s, _ := newDataRunner(t, failingRender)
	job := applyJob(t, s, launchpad.ApplyRequest{UserID: "user02", Plan: "starter"})
	sum, err := r.Run(t.Context(), job)
	if err == nil {
		t.Fatal("a run whose apply fails returned no error")
	}
	if queue.IsPermanent(err) || launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || !strings.Contains(err.Error(), "tofu apply failed") {
		t.Fatalf("error %v: want a retryable EUNAVAILABLE saying tofu apply failed", err)
	}
	if sum.Add != 2 {
		t.Errorf("summary of the failed run %+v; want the plan's 2 adds", sum)
	}
	// The resource that was created before the failure is in the stored state, as is the
	// tainted one, so the next run neither forgets nor duplicates them.
	if got := stateResources(t, s, "user02"); !slices.Contains(got, "terraform_data.ok") {
		t.Fatalf("stored state after the failed run holds %v; want terraform_data.ok saved", got)
	}
	log := jobLog(t, s, job.ID)
	if !strings.Contains(log, "the cloud said no") || !strings.Contains(log, "failed after") {
		t.Errorf("job log lacks the failure:\n%s", log)
	}
	evs := auditActions(t, s, "user02")
	if last := evs[len(evs)-1]; last.Action != launchpad.AuditApplyFailed || last.Details["error"] == "" {
		t.Fatalf("last audit event %s %v; want apply.failed with the error", last.Action, last.Details)
	}
}

// slowRender creates one resource quickly, then one whose provisioner sleeps a minute.
func slowRender(d launchpad.ApplyRequest) ([]byte, error) {
	return []byte(`{"resource":{"terraform_data":{
  "first": {"input": "quick"},
  "slow":  {"depends_on": ["terraform_data.first"], "input": "x",
            "provisioner": [{"local-exec": {"command": "exec sleep 60"}}]}}}}`), nil
}

func TestCancelInterruptsTofuAndSavesState(t *testing.T) {
	r, s, _ := newDataRunner(t, slowRender, func(c *runner.Config) { c.CancelGrace = 20 * time.Second })
	job := applyJob(t, s, launchpad.ApplyRequest{UserID: "user03", Plan: "starter"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := r.Run(ctx, job); done <- err }()

	// The log streams while tofu runs: the slow resource's provisioner shows up before the
	// run ends.
	waitForLog(t, s, job.ID, "terraform_data.slow (local-exec): Executing")
	cancelled := time.Now()
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(50 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	t.Logf("Run returned %s after the cancel", time.Since(cancelled).Round(time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("cancelled run returned %v; want an error saying it was cancelled", err)
	}
	if got := stateResources(t, s, "user03"); !slices.Contains(got, "terraform_data.first") {
		t.Fatalf("stored state after the cancelled run holds %v; want terraform_data.first", got)
	}
	if log := jobLog(t, s, job.ID); !strings.Contains(log, "Interrupt received") {
		t.Errorf("tofu did not get SIGINT (no \"Interrupt received\" in its output):\n%s", log)
	}
}

func TestCancelKillsTofuThatIgnoresSIGINT(t *testing.T) {
	// A stand-in for tofu that answers `version` and otherwise ignores SIGINT and hangs.
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	script := filepath.Join(dir, "tofu")
	err := os.WriteFile(script, []byte(`#!/bin/sh
if [ "$1" = version ]; then echo '{"terraform_version":"1.12.6","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}'; exit 0; fi
trap '' INT
echo $$ > `+pidFile+`
echo "stuck tofu is running"
exec sleep 300
`), 0o755)
	if err != nil {
		t.Fatal(err)
	}
	stacktest.Tofu(t) // the same skip rule as every tofu test
	r, s, _ := newDataRunner(t, dataRender, func(c *runner.Config) { c.Tofu = script; c.CancelGrace = 500 * time.Millisecond })
	job := applyJob(t, s, launchpad.ApplyRequest{UserID: "user04", Plan: "starter"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := r.Run(ctx, job); done <- err }()
	waitForLog(t, s, job.ID, "stuck tofu is running")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil {
		t.Fatalf("pid file %s holds %q: %v", pidFile, b, err)
	}
	cancel()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel plus the grace period")
	}
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("Run returned %v; want a cancellation error", err)
	}
	// The process is gone (reaped by terraform-exec): signal 0 fails.
	if syscall.Kill(pid, 0) == nil {
		t.Fatalf("tofu (pid %d) still runs after the grace period", pid)
	}
}

func TestRunRefusesBadPayloadsWithoutTouchingTheDisk(t *testing.T) {
	r, s, dataDir := newDataRunner(t, dataRender)
	for _, tc := range []struct{ name, key, payload string }{
		{"path traversal", "../../etc", `{"user_id":"../../etc","plan":"pro"}`},
		{"absolute path", "/tmp/x", `{"user_id":"/tmp/x","plan":"pro"}`},
		{"dot dot", "..", `{"user_id":"..","plan":"pro"}`},
		{"NUL", "a\x00b", `{"user_id":"a\u0000b","plan":"pro"}`},
		{"quote and newline", "a\"\nb", `{"user_id":"a\"\nb","plan":"pro"}`},
		{"interpolation", "${file(\"/etc/passwd\")}", `{"user_id":"${file(\"/etc/passwd\")}","plan":"pro"}`},
		{"key mismatch", "user05", `{"user_id":"user06","plan":"pro"}`},
		{"bad plan", "user05", `{"user_id":"user05","plan":"Pro Plan"}`},
		{"bad image", "user05", `{"user_id":"user05","plan":"pro","image":"x\" } resource {"}`},
		{"unknown field", "user05", `{"user_id":"user05","plan":"pro","command":"rm -rf /"}`},
		{"not JSON", "user05", `user05`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := &launchpad.Job{ID: "job-" + strings.ReplaceAll(tc.name, " ", "-"), Kind: launchpad.JobApply, Key: tc.key, Payload: []byte(tc.payload), Attempts: 1}
			_, err := r.Run(t.Context(), job)
			if !queue.IsPermanent(err) || launchpad.ErrorCode(err) != launchpad.EINVALID {
				t.Fatalf("Run: %v; want a permanent EINVALID error", err)
			}
		})
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, "workspaces"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("bad payloads created work directories: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "..", "etc")); err == nil {
		t.Fatal("a path-traversal id created a directory outside the data dir")
	}
	_ = s
}

func TestSecretsAreRedactedFromLogsAuditAndErrors(t *testing.T) {
	const secret = "platform-secret-for-the-runner-tests"
	// A configuration that prints the secret, as a misbehaving provider diagnostic might.
	leaky := func(d launchpad.ApplyRequest) ([]byte, error) {
		return []byte(`{"resource":{"terraform_data":{"leak":{"input":"` + secret + `",
  "provisioner":[{"local-exec":{"command":"echo leaking ` + secret + ` >&2; exit 1"}}]}}}}`), nil
	}
	r, s, _ := newDataRunner(t, leaky)
	job := applyJob(t, s, launchpad.ApplyRequest{UserID: "user07", Plan: "starter"})
	_, err := r.Run(t.Context(), job)
	if err == nil {
		t.Fatal("the leaky run should fail")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error holds the secret: %v", err)
	}
	log := jobLog(t, s, job.ID)
	if strings.Contains(log, secret) {
		t.Errorf("the job log holds the secret:\n%s", log)
	}
	if !strings.Contains(log, "[redacted]") {
		t.Errorf("the job log shows no redaction; was the secret printed at all?\n%s", log)
	}
	for _, e := range auditActions(t, s, "user07") {
		for k, v := range e.Details {
			if strings.Contains(v, secret) {
				t.Errorf("audit %s detail %s holds the secret", e.Action, k)
			}
		}
	}
}

// failingPuts is a store whose state writes fail, as when the database is unreachable.
type failingPuts struct{ launchpad.Store }

func (failingPuts) PutState(context.Context, *launchpad.StateBlob) (int64, error) {
	return 0, launchpad.Errorf(launchpad.EUNAVAILABLE, "the database is down")
}

func TestAFailedWriteBackIsRecoveredFromTheWorkDirectory(t *testing.T) {
	tofu := stacktest.Tofu(t)
	s, _ := newStore(t)
	dataDir := t.TempDir()
	mk := func(st runner.Store) *runner.Runner {
		r, err := runner.New(runner.Config{Store: st, Tofu: tofu, DataDir: dataDir, ProviderBinary: fakeProvider(t), Render: dataRender, Logger: stacktest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	healthy, broken := mk(s), mk(failingPuts{s})

	// The store is down when the first apply saves: the run fails (so it is retried), and
	// the state stays in the work directory only.
	j1 := applyJob(t, s, launchpad.ApplyRequest{UserID: "user08", Plan: "starter"})
	_, err := broken.Run(t.Context(), j1)
	if err == nil || !strings.Contains(err.Error(), "the database is down") {
		t.Fatalf("a run whose state cannot be saved returned %v; want the store's error", err)
	}
	if _, err := s.GetState(t.Context(), "user08"); !launchpad.IsNotFound(err) {
		t.Fatalf("GetState after the failed write-back: %v; want not found", err)
	}
	// The retry, with the store back, must not create the resources a second time.
	j2 := applyJob(t, s, launchpad.ApplyRequest{UserID: "user08", Plan: "starter"})
	sum, err := healthy.Run(t.Context(), j2)
	if err != nil || sum != (launchpad.PlanSummary{}) {
		t.Fatalf("retry: %+v, %v; want no changes (the resources exist, per the kept local state)", sum, err)
	}
	if got := stateResources(t, s, "user08"); len(got) != 2 {
		t.Fatalf("the retry did not save the kept state: store holds %v", got)
	}
}
