package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// fleet is a store with users on plan "pro", each with a tenant, and an engine on it whose
// health gate is the apply's success (no Runtime). Applies are played by the test: it claims
// and finishes the jobs the engine enqueues.
type fleet struct {
	t     *testing.T
	st    *sqlite.DB
	e     *Engine
	users []string
}

func newFleet(t *testing.T, n int, auto string) *fleet {
	t.Helper()
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	ctx := t.Context()
	if err := st.CreatePlan(ctx, &launchpad.Plan{Name: "pro", Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, VolumeSizeGB: 1}); err != nil {
		t.Fatal(err)
	}
	f := &fleet{t: t, st: st}
	for i := range n {
		id := fmt.Sprintf("user%02d", i)
		if err := st.CreateUser(ctx, &launchpad.User{ID: id, Email: id + "@example.com", Plan: "pro"}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateTenant(ctx, &launchpad.Tenant{AppName: "lp-hermes-" + id, UserID: id, Plan: "pro", Image: "registry.fly.io/hermes-agent:1.0.0"}); err != nil {
			t.Fatal(err)
		}
		f.users = append(f.users, id)
	}
	e, err := New(Config{Store: st, AutoRollout: auto, Desired: func(u *launchpad.User) (launchpad.ApplyRequest, error) {
		return launchpad.ApplyRequest{UserID: u.ID, Plan: "pro"}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.e = e
	return f
}

// step runs the one step job that is due, as a worker would (claimed a little ahead of the
// wall clock, so the engine's next step, a second out, is due; never in a loop, since each
// step enqueues the next).
func (f *fleet) step() {
	f.t.Helper()
	j, err := f.st.ClaimJob(f.t.Context(), launchpad.JobClaim{Worker: "w", Kinds: []string{launchpad.JobRollout}, Lease: time.Minute, Now: time.Now().Add(2 * time.Second)})
	if launchpad.IsNotFound(err) {
		return
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.e.Step(f.t.Context(), j); err != nil {
		f.t.Fatalf("step: %v", err)
	}
	if _, err := f.st.FinishJob(f.t.Context(), j.ID, "w", launchpad.JobResult{Status: launchpad.JobSucceeded}, time.Now()); err != nil {
		f.t.Fatal(err)
	}
}

// applies finishes every queued apply job, succeeding unless fail names its user, and returns
// the users applied.
func (f *fleet) applies(fail map[string]bool) []string {
	f.t.Helper()
	var out []string
	for {
		j, err := f.st.ClaimJob(f.t.Context(), launchpad.JobClaim{Worker: "w", Kinds: []string{launchpad.JobApply}, Lease: time.Minute, Now: time.Now()})
		if launchpad.IsNotFound(err) {
			return out
		}
		if err != nil {
			f.t.Fatal(err)
		}
		res := launchpad.JobResult{Status: launchpad.JobSucceeded}
		if fail[j.Key] {
			res = launchpad.JobResult{Status: launchpad.JobFailed, Error: "tofu apply failed"}
		}
		if _, err := f.st.FinishJob(f.t.Context(), j.ID, "w", res, time.Now()); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, j.Key)
	}
}

func (f *fleet) get(id string) *launchpad.Rollout {
	f.t.Helper()
	r, err := f.st.GetRollout(f.t.Context(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// appliesOf lists the rollout's apply payloads for user (superseded ones left out).
func (f *fleet) appliesOf(user, id string) []launchpad.ApplyRequest {
	f.t.Helper()
	js, err := f.st.ListJobs(f.t.Context(), launchpad.JobFilter{Kind: launchpad.JobApply, Key: user})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []launchpad.ApplyRequest
	for _, j := range js {
		d, err := launchpad.ParseApplyRequest(j.Payload)
		if err == nil && d.Rollout == id && j.Status != launchpad.JobSuperseded {
			out = append(out, d)
		}
	}
	return out
}

// Waves: one canary alone, then batches of two, never more than max_parallel applies in
// flight; each tenant applied once, with the rollout's image; the fleet's image set at the end.
func TestRolloutGoesInWavesAndAppliesEachTenantOnce(t *testing.T) {
	f := newFleet(t, 5, "")
	one := 1
	r, err := f.e.Start(t.Context(), Request{Image: "registry.fly.io/hermes-agent:2.0.0", Canary: &one, BatchSize: 2, MaxParallel: 2}, launchpad.ActorAdminToken)
	if err != nil {
		t.Fatal(err)
	}
	var waves [][]string
	for range 20 {
		f.step()
		applied := f.applies(nil)
		if len(applied) > 0 {
			waves = append(waves, applied)
		}
		if f.get(r.ID).State == launchpad.RolloutCompleted {
			break
		}
	}
	want := [][]string{{"user00"}, {"user01", "user02"}, {"user03", "user04"}}
	if fmt.Sprint(waves) != fmt.Sprint(want) {
		t.Fatalf("applies went in waves %v, want %v", waves, want)
	}
	for _, u := range f.users {
		if a := f.appliesOf(u, r.ID); len(a) != 1 || a[0].Image != "registry.fly.io/hermes-agent:2.0.0" || a[0].Reason != launchpad.ReasonRollout {
			t.Errorf("%s: rollout applies %+v, want one with the new image", u, a)
		}
	}
	fl, _ := f.st.GetFleet(t.Context())
	if fl.Image != "registry.fly.io/hermes-agent:2.0.0" {
		t.Errorf("fleet image = %q after the rollout completed", fl.Image)
	}
}

// A finished apply of a rollout asks for the rollout's step now, not at the next StepEvery:
// the step due right away sees the canary done and enqueues the next wave. An apply of no
// rollout asks for nothing.
func TestAFinishedApplyStepsItsRolloutAtOnce(t *testing.T) {
	f := newFleet(t, 3, "")
	one := 1
	r, err := f.e.Start(t.Context(), Request{Image: "registry.fly.io/hermes-agent:2.0.0", Canary: &one, BatchSize: 2, MaxParallel: 2}, launchpad.ActorAdminToken)
	if err != nil {
		t.Fatal(err)
	}
	f.step() // enqueues the canary's apply; its next step is a StepEvery out
	claimNow := func(kind string) *launchpad.Job {
		j, err := f.st.ClaimJob(t.Context(), launchpad.JobClaim{Worker: "w", Kinds: []string{kind}, Lease: time.Minute, Now: time.Now()})
		if launchpad.IsNotFound(err) {
			return nil
		} else if err != nil {
			t.Fatal(err)
		}
		return j
	}
	apply := claimNow(launchpad.JobApply)
	if apply == nil {
		t.Fatal("no canary apply was enqueued")
	}
	done, err := f.st.FinishJob(t.Context(), apply.ID, "w", launchpad.JobResult{Status: launchpad.JobSucceeded}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.e.ApplyFinished(t.Context(), &launchpad.Job{ID: "other", Kind: launchpad.JobApply, Status: launchpad.JobSucceeded, Payload: launchpad.ApplyRequest{UserID: "user09", Plan: "pro"}.Payload()})
	if j := claimNow(launchpad.JobRollout); j != nil {
		t.Fatalf("an apply of no rollout made step %s due now", j.ID)
	}
	f.e.ApplyFinished(t.Context(), done)
	step := claimNow(launchpad.JobRollout)
	if step == nil {
		t.Fatal("after the canary's apply finished, no step of its rollout is due now")
	}
	if _, err := f.e.Step(t.Context(), step); err != nil {
		t.Fatal(err)
	}
	if got := f.get(r.ID).Counts(); got.Succeeded != 1 || got.InFlight != 2 {
		t.Fatalf("after the step the finished apply asked for: %+v, want the canary done and the next wave's two applies in flight", got)
	}
}

// A step that enqueued an apply and died before recording it: the next step finds that apply
// instead of enqueueing a second one.
func TestRolloutStepAfterACrashFindsTheApplyItEnqueued(t *testing.T) {
	f := newFleet(t, 2, "")
	zero := 0
	r, err := f.e.Start(t.Context(), Request{Image: "registry.fly.io/hermes-agent:2.0.0", Canary: &zero, BatchSize: 2, MaxParallel: 2}, launchpad.ActorAdminToken)
	if err != nil {
		t.Fatal(err)
	}
	early, err := f.e.enqueueApply(t.Context(), r, r.Tenants[0], false) // the crashed step's work
	if err != nil {
		t.Fatal(err)
	}
	f.step()
	got := f.get(r.ID)
	if got.Tenants[0].Job != early || got.Tenants[0].Status != launchpad.TenantApplying {
		t.Fatalf("after the step the first tenant is %+v, want it applying with the job %s enqueued before the crash", got.Tenants[0], early)
	}
	if a := f.appliesOf(f.users[0], r.ID); len(a) != 1 {
		t.Fatalf("%d rollout applies of %s, want 1", len(a), f.users[0])
	}
}

// Failures past max_failures pause the rollout by itself, leaving the rest untouched; abort
// puts the changed tenants back on their previous image.
func TestRolloutPausesPastMaxFailuresAndAbortRollsBack(t *testing.T) {
	f := newFleet(t, 4, "")
	one := 1
	r, err := f.e.Start(t.Context(), Request{Image: "registry.fly.io/hermes-agent:2.0.0", Canary: &one, BatchSize: 3, MaxParallel: 3, MaxFailures: "0.5"}, launchpad.ActorAdminToken)
	if err != nil || r.Policy.MaxFailureRatio != 0.5 {
		t.Fatalf("Start = %+v, %v", r, err)
	}
	f.step()
	f.applies(map[string]bool{"user00": true}) // the canary fails: 1 of 1 reached > 0.5
	f.step()
	got := f.get(r.ID)
	if got.State != launchpad.RolloutPaused || !strings.Contains(got.Reason, "paused by itself") {
		t.Fatalf("after the canary failed: %s (%s)", got.State, got.Reason)
	}
	for _, u := range f.users[1:] {
		if a := f.appliesOf(u, r.ID); len(a) != 0 {
			t.Errorf("%s was applied while the rollout paused", u)
		}
	}
	if _, err := f.e.Pause(t.Context(), r.ID, launchpad.ActorAdminToken); !launchpad.IsConflict(err) {
		t.Errorf("pausing a paused rollout = %v, want ECONFLICT", err)
	}
	if _, err := f.e.Abort(t.Context(), r.ID, launchpad.OperatorActor("ops")); err != nil {
		t.Fatal(err)
	}
	f.step()
	f.applies(nil)
	f.step()
	got = f.get(r.ID)
	if got.State != launchpad.RolloutRolledBack || got.Tenants[0].Status != launchpad.TenantRolledBack {
		t.Fatalf("after the abort: %s, canary %+v", got.State, got.Tenants[0])
	}
	back := f.appliesOf("user00", r.ID)
	if len(back) != 2 || back[0].Reason != launchpad.ReasonRollback || back[0].Image != "registry.fly.io/hermes-agent:1.0.0" {
		t.Fatalf("the canary's applies %+v, want the rollout's and a rollback to 1.0.0 (newest first)", back)
	}
	fl, _ := f.st.GetFleet(t.Context())
	if fl.Image != "" {
		t.Errorf("an aborted rollout set the fleet image to %q", fl.Image)
	}
}

// A plan edit's proposal reaches serve through its step: LAUNCHPAD_AUTO_ROLLOUT=start starts
// it over the plan's tenants, propose keeps it, off drops it.
func TestPlanEditProposalFollowsAutoRollout(t *testing.T) {
	for _, tc := range []struct{ auto, want string }{
		{AutoStart, launchpad.RolloutRunning}, {AutoPropose, launchpad.RolloutProposed}, {AutoOff, launchpad.RolloutAborted},
	} {
		t.Run(tc.auto, func(t *testing.T) {
			f := newFleet(t, 2, tc.auto)
			_, p, err := launchpad.ReplacePlan(t.Context(), f.st, &launchpad.Plan{Name: "pro", Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048}, VolumeSizeGB: 1})
			if err != nil || p == nil {
				t.Fatalf("ReplacePlan = %+v, %v", p, err)
			}
			f.step()
			got := f.get(p.ID)
			if got.State != tc.want {
				t.Fatalf("proposal is %s (%s), want %s", got.State, got.Reason, tc.want)
			}
			if tc.want == launchpad.RolloutRunning && (len(got.Tenants) != 2 || got.Unselected) {
				t.Fatalf("a started proposal has tenants %+v", got.Tenants)
			}
			if tc.auto == AutoPropose {
				if got, err = f.e.Resume(t.Context(), p.ID, launchpad.OperatorActor("ops")); err != nil || got.State != launchpad.RolloutRunning || len(got.Tenants) != 2 {
					t.Fatalf("resume of the proposal = %+v, %v", got, err)
				}
			}
		})
	}
}

// Bad requests are refused naming the field.
func TestRolloutRequestErrorsNameTheField(t *testing.T) {
	f := newFleet(t, 1, "")
	for _, tc := range []struct {
		req  string
		want string
	}{
		{`{}`, "needs image"},
		{`{"image":"bad image"}`, "image:"},
		{`{"image":"registry.fly.io/a:1","max_failures":1.5}`, "max_failures"},
		{`{"image":"registry.fly.io/a:1","health_timeout":"soon"}`, "health_timeout"},
		{`{"image":"registry.fly.io/a:1","max_parallel":100}`, "max_parallel"},
		{`{"image":"registry.fly.io/a:1","user_ids":["nobody"]}`, "user_ids: nobody"},
		{`{"plan":"missing"}`, "plan: there is no plan"},
	} {
		var req Request
		if err := json.Unmarshal([]byte(tc.req), &req); err != nil {
			t.Fatal(err)
		}
		_, err := f.e.Start(context.Background(), req, launchpad.ActorAdminToken)
		if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(launchpad.ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want EINVALID naming %q", tc.req, err, tc.want)
		}
	}
	if rs, _ := f.st.ListRollouts(t.Context(), 0); len(rs) != 0 {
		t.Errorf("refused requests stored %d rollouts", len(rs))
	}
}

// An abort of a plan edit's rollout puts the plan's previous definition back and re-applies
// the tenants the rollout changed (their rollback reads the plan from the store); tenants
// not reached are left alone. A plan edited again since keeps its newest definition.
func TestPlanRolloutAbortRestoresThePreviousDefinition(t *testing.T) {
	for _, editedAgain := range []bool{false, true} {
		t.Run(fmt.Sprintf("edited again %v", editedAgain), func(t *testing.T) {
			f := newFleet(t, 3, "")
			old, _ := f.st.GetPlan(t.Context(), "pro")
			bigger := &launchpad.Plan{Name: "pro", Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048}, VolumeSizeGB: 1}
			_, p, err := launchpad.ReplacePlan(t.Context(), f.st, bigger)
			if err != nil || p == nil || p.PlanBefore == nil || *p.PlanBefore != old.Definition() {
				t.Fatalf("ReplacePlan proposal %+v, %v; want one recording the previous definition", p, err)
			}
			// The operator starts the plan's rollout by hand: it finds the proposal's previous definition.
			zero := 0
			r, err := f.e.Start(t.Context(), Request{Plan: "pro", Canary: &zero, BatchSize: 2, MaxParallel: 2}, launchpad.ActorAdminToken)
			if err != nil || r.PlanBefore == nil || *r.PlanBefore != old.Definition() || *r.PlanAfter != bigger.Definition() {
				t.Fatalf("Start = %+v, %v; want the definitions before and after", r, err)
			}
			f.step() // the proposal's step (kept proposed) and the rollout's, which starts the first batch
			f.step()
			f.applies(nil) // the first batch (two tenants) applied
			if _, err := f.e.Abort(t.Context(), r.ID, launchpad.OperatorActor("ops")); err != nil {
				t.Fatal(err)
			}
			newest := bigger.Definition()
			if editedAgain {
				newest.Guest.MemoryMB = 4096
				if _, err := f.st.UpdatePlan(t.Context(), "pro", func(p *launchpad.Plan) error { p.SetDefinition(newest); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			f.step()
			f.applies(nil)
			f.step()
			got := f.get(r.ID)
			plan, _ := f.st.GetPlan(t.Context(), "pro")
			want := old.Definition()
			if editedAgain {
				want = newest
			}
			if plan.Definition() != want {
				t.Fatalf("plan after the abort %+v, want %+v", plan.Definition(), want)
			}
			for i, tn := range got.Tenants {
				back := 0
				for _, a := range f.appliesOf(tn.UserID, r.ID) {
					if a.Reason == launchpad.ReasonRollback {
						back++
					}
				}
				switch {
				case i == 2 && (tn.Status != launchpad.TenantPending || back != 0):
					t.Errorf("tenant not reached: %+v, %d rollbacks; want pending, untouched", tn, back)
				case i < 2 && !editedAgain && (tn.Status != launchpad.TenantRolledBack || back != 1):
					t.Errorf("changed tenant %+v, %d rollbacks; want rolled back once", tn, back)
				case i < 2 && editedAgain && (back != 0 || !strings.Contains(tn.Error, "edited again")):
					t.Errorf("changed tenant of a plan edited again %+v, %d rollbacks; want none, saying why", tn, back)
				}
			}
			if got.State != launchpad.RolloutRolledBack {
				t.Errorf("rollout state %s (%s), want rolled_back", got.State, got.Reason)
			}
		})
	}
}

// A tenant's own apply during an image rollout (launchpad.TenantImage, which the runner reads
// for every apply that names no image): a tenant the rollout moved keeps the new image while
// the rollout runs or is paused, a tenant not reached keeps the fleet's, and after an abort
// every tenant is on the fleet's again.
func TestOwnApplyDuringARolloutKeepsTheRolloutsImage(t *testing.T) {
	f := newFleet(t, 3, "")
	const old, next = "registry.fly.io/hermes-agent:1.0.0", "registry.fly.io/hermes-agent:2.0.0"
	if _, err := f.st.UpdateFleet(t.Context(), func(fl *launchpad.Fleet) error { fl.Image = old; return nil }); err != nil {
		t.Fatal(err)
	}
	one := 1
	r, err := f.e.Start(t.Context(), Request{Image: next, Canary: &one, BatchSize: 2, MaxParallel: 2}, launchpad.ActorAdminToken)
	if err != nil {
		t.Fatal(err)
	}
	images := func() []string {
		var out []string
		for _, u := range f.users {
			img, err := launchpad.TenantImage(t.Context(), f.st, u)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, img)
		}
		return out
	}
	want := func(when string, w ...string) {
		t.Helper()
		if got := images(); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("%s: own applies would run %v, want %v", when, got, w)
		}
	}
	want("before the first step", old, old, old)
	f.step() // the canary's apply enqueued
	want("canary applying", next, old, old)
	f.applies(nil)
	if _, err := f.e.Pause(t.Context(), r.ID, launchpad.ActorAdminToken); err != nil {
		t.Fatal(err)
	}
	f.step()
	if got := f.get(r.ID); got.State != launchpad.RolloutPaused || got.Tenants[0].Status != launchpad.TenantSucceeded {
		t.Fatalf("rollout %s, canary %+v; want paused after a healthy canary", got.State, got.Tenants[0])
	}
	want("paused after the canary", next, old, old)
	if _, err := f.e.Abort(t.Context(), r.ID, launchpad.ActorAdminToken); err != nil {
		t.Fatal(err)
	}
	want("aborted", old, old, old)
}
