package controlplane

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// provisionAll subscribes n users named prefix01, prefix02, … through p and waits until each
// tenant's first apply succeeded.
func (h *host) provisionAll(p *serveProc, prefix string, n int) []string {
	h.t.Helper()
	var users []string
	for i := 1; i <= n; i++ {
		user := fmt.Sprintf("%s%02d", prefix, i)
		if err := h.store.CreateUser(h.t.Context(), &launchpad.User{ID: user, Email: user + "@example.com", Plan: launchpad.TrialPlan}); err != nil {
			h.t.Fatal(err)
		}
		h.subscribe(p, user)
		users = append(users, user)
	}
	took := waitFor(h.t, fmt.Sprintf("%d tenants", n), 5*time.Minute, func() bool {
		for _, u := range users {
			js, _ := h.store.ListJobs(h.t.Context(), launchpad.JobFilter{Kind: launchpad.JobApply, Key: u})
			if len(js) != 1 || js[0].Status != launchpad.JobSucceeded {
				return false
			}
		}
		return true
	})
	h.t.Logf("MEASURED %d checkouts to tenants running (serve as a process): %s", n, took.Round(time.Millisecond))
	return users
}

// startRollout posts a rollout request to p as the admin and returns the 202's answer.
func (h *host) startRollout(p *serveProc, req map[string]any) RolloutStarted {
	h.t.Helper()
	r, err := exchange(http.DefaultClient, p.url, http.MethodPost, "/api/admin/rollouts", stackAdminToken, map[string]string{"Content-Type": "application/json"}, jsonBody(h.t, req))
	if err != nil {
		h.t.Fatal(err)
	}
	mustStatus(h.t, r, http.StatusAccepted)
	var out RolloutStarted
	r.decode(h.t, &out)
	return out
}

// rolloutReaches waits until the stored rollout is in state and returns it.
func (h *host) rolloutReaches(id, state string, limit time.Duration) *launchpad.Rollout {
	h.t.Helper()
	var ro *launchpad.Rollout
	took := waitFor(h.t, "rollout "+id+" "+state, limit, func() bool {
		var err error
		ro, err = h.store.GetRollout(h.t.Context(), id)
		return err == nil && ro.State == state
	})
	h.t.Logf("MEASURED rollout %s reached %s after %s: %+v", id, state, took.Round(time.Millisecond), ro.Counts())
	return ro
}

// machineImage is the image the user's tenant machine runs on the Fly simulator ("" when it
// has none).
func (h *host) machineImage(user string) string {
	h.t.Helper()
	ts, err := h.store.ListTenants(h.t.Context(), launchpad.TenantFilter{UserID: user})
	if err != nil || len(ts) != 1 {
		h.t.Fatalf("tenant records of %s: %d (%v); want 1", user, len(ts), err)
	}
	for _, m := range liveMachines(h.fly)[ts[0].AppName] {
		if m.ID == ts[0].MachineID {
			return m.Image
		}
	}
	return ""
}

// everyTenantOnce checks that each user's tenant runs image and was applied by the rollout
// exactly once, by an apply that succeeded.
func (h *host) everyTenantOnce(users []string, id, image string) {
	h.t.Helper()
	for _, u := range users {
		if got := h.machineImage(u); got != image {
			h.t.Errorf("tenant of %s runs %q after the rollout, want %s", u, got, image)
		}
		js := rolloutJobs(h.t, h.store, u, id, launchpad.ReasonRollout)
		if len(js) != 1 || js[0].Status != launchpad.JobSucceeded {
			h.t.Errorf("tenant of %s has %d apply jobs of the rollout (%v), want one that succeeded", u, len(js), js)
		}
	}
}

// TestRolloutSurvivesSIGKILLOfServeMidBatch kills `serve` (SIGKILL, no chance to record
// anything) while a rollout's batch is being applied. A new serve on the same store reclaims
// the dead one's leased step and applies once their leases run out, and the rollout
// completes: every tenant runs the new image, each applied by exactly one job of the
// rollout (the interrupted apply is retried as the same job, never enqueued twice).
func TestRolloutSurvivesSIGKILLOfServeMidBatch(t *testing.T) {
	const lease = 10 * time.Second
	h := newHost(t, map[string]string{"LAUNCHPAD_JOB_LEASE": lease.String(), "LAUNCHPAD_WORKERS": "2"})
	a := h.start()
	users := h.provisionAll(a, "rk", 4)

	const image = "registry.fly.io/hermes-agent:2.1.0"
	h.fly.Sim.SetFaults(sim.Faults{Latency: 300 * time.Millisecond}) // applies take a while: time to kill one
	ro := h.startRollout(a, map[string]any{"image": image, "canary": 1, "batch_size": 3, "max_parallel": 2, "health_timeout": "2m"})
	if ro.State != launchpad.RolloutRunning || ro.Total != len(users) {
		t.Fatalf("rollout answer %+v, want running over %d tenants", ro, len(users))
	}
	var inflight []launchpad.RolloutTenant
	waitFor(t, "a batch apply of the rollout to be modifying its tenant", 3*time.Minute, func() bool {
		r, err := h.store.GetRollout(t.Context(), ro.ID)
		if err != nil {
			return false
		}
		inflight = inflight[:0]
		for _, tn := range r.Tenants {
			if tn.Wave > 0 && tn.Status == launchpad.TenantApplying {
				inflight = append(inflight, tn)
			}
		}
		for _, tn := range inflight {
			log, _ := h.store.ReadJobLog(t.Context(), tn.Job, 0)
			if bytes.Contains(log, []byte("launchpad_tenant.this: Modifying...")) {
				return true
			}
		}
		return false
	})
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	killed, err := h.store.GetRollout(t.Context(), ro.ID)
	if err != nil || killed.State != launchpad.RolloutRunning || killed.Counts().InFlight == 0 {
		t.Fatalf("after the kill the rollout is %+v (%v); want running with applies in flight", killed, err)
	}
	t.Logf("killed serve with the rollout at %+v", killed.Counts())
	for _, u := range users {
		waitFor(t, "tofu and the provider of "+u+" to die with serve", 30*time.Second, func() bool { return len(h.survivors(u)) == 0 })
	}

	h.fly.Sim.SetFaults(sim.Faults{})
	h.start()
	done := h.rolloutReaches(ro.ID, launchpad.RolloutCompleted, 5*time.Minute)
	if c := done.Counts(); c.Succeeded != len(users) || c.Failed != 0 {
		t.Fatalf("completed rollout counts %+v, want all %d succeeded", c, len(users))
	}
	h.everyTenantOnce(users, ro.ID, image)
	if f, err := h.store.GetFleet(t.Context()); err != nil || f.Image != image {
		t.Fatalf("fleet image %+v (%v), want %s", f, err, image)
	}
	var reclaimed int
	for _, tn := range inflight {
		if j, err := h.store.GetJob(t.Context(), tn.Job); err == nil && j.Attempts > 1 {
			reclaimed++
		}
	}
	if reclaimed == 0 {
		t.Errorf("none of the applies in flight at the kill (%d) was retried by the new serve; the kill did not land mid-apply", len(inflight))
	}
}

// stepsOnce checks that each user's own audit stream shows the rollout's steps for their
// tenant once each: one apply started, one success. A step run twice (by two replicas at
// once) writes them twice.
func (h *host) stepsOnce(users []string, id string) {
	h.t.Helper()
	for _, u := range users {
		evs, err := h.store.ListAudit(h.t.Context(), launchpad.AuditFilter{Stream: u, Limit: 500})
		if err != nil {
			h.t.Fatal(err)
		}
		seen := map[string]int{}
		for _, e := range evs {
			if e.Action == launchpad.AuditRolloutTenant && e.Target == id {
				seen[e.Details["status"]]++
			}
		}
		if seen[launchpad.TenantApplying] != 1 || seen[launchpad.TenantSucceeded] != 1 {
			h.t.Errorf("rollout steps in %s's audit: %v; want the apply started once and succeeded once", u, seen)
		}
	}
}

// TestRolloutRunsOnceAcrossTwoReplicas runs one rollout on two `serve` processes sharing a
// PostgreSQL store (each with its own data directory and one worker, so both must take part):
// it completes, each tenant is applied once, and no step is taken twice.
func TestRolloutRunsOnceAcrossTwoReplicas(t *testing.T) {
	h := newHostOn(t, pgtest.Schema(t, pgtest.ForTest(t)), map[string]string{"LAUNCHPAD_WORKERS": "1"})
	a := h.start()
	users := h.provisionAll(a, "rr", 4)
	b := h.startReplica()

	const image = "registry.fly.io/hermes-agent:2.2.0"
	h.fly.Sim.SetFaults(sim.Faults{Latency: 100 * time.Millisecond})
	ro := h.startRollout(b, map[string]any{"image": image, "canary": 1, "batch_size": 3, "max_parallel": 3, "health_timeout": "2m"})
	done := h.rolloutReaches(ro.ID, launchpad.RolloutCompleted, 5*time.Minute)
	if c := done.Counts(); c.Succeeded != len(users) || c.Failed != 0 {
		t.Fatalf("completed rollout counts %+v, want all %d succeeded", c, len(users))
	}
	h.everyTenantOnce(users, ro.ID, image)
	h.stepsOnce(users, ro.ID)
	var actions []string
	evs, err := h.store.ListAudit(t.Context(), launchpad.AuditFilter{Stream: launchpad.PlatformStream, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Target == ro.ID {
			actions = append(actions, e.Action)
		}
	}
	wantActions(t, actions, launchpad.AuditRolloutStarted, launchpad.AuditRolloutCompleted)

	// Both replicas took part: each ran some of the rollout's applies or steps.
	ran := map[int]int{}
	for _, u := range users {
		for _, j := range rolloutJobs(t, h.store, u, ro.ID, launchpad.ReasonRollout) {
			ran[ownerPid(j, a, b)]++
		}
	}
	steps, err := h.store.ListJobs(t.Context(), launchpad.JobFilter{Kind: launchpad.JobRollout, Key: launchpad.RolloutStepKey(ro.ID), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range steps {
		ran[ownerPid(j, a, b)]++
	}
	t.Logf("MEASURED jobs of the rollout (applies and steps) by replica pid: %v", ran)
	if ran[a.cmd.Process.Pid] == 0 || ran[b.cmd.Process.Pid] == 0 {
		t.Errorf("jobs of the rollout by replica: %v; want both replicas (pids %d, %d) to take part", ran, a.cmd.Process.Pid, b.cmd.Process.Pid)
	}
}

// ownerPid is the pid of the serve process (of ps) that last ran j, 0 for none of them.
func ownerPid(j *launchpad.Job, ps ...*serveProc) int {
	for _, p := range ps {
		if strings.Contains(j.LeaseOwner, fmt.Sprintf("-%d-", p.cmd.Process.Pid)) {
			return p.cmd.Process.Pid
		}
	}
	return 0
}
