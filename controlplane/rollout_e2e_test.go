package controlplane

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// startRollout posts a rollout request as the admin and returns the 202's answer.
func (s *stack) startRollout(req map[string]any) RolloutStarted {
	s.t.Helper()
	body, _ := json.Marshal(req)
	r := s.do(http.MethodPost, "/api/admin/rollouts", stackAdminToken, map[string]string{"Content-Type": "application/json"}, body)
	mustStatus(s.t, r, http.StatusAccepted)
	var out RolloutStarted
	r.decode(s.t, &out)
	return out
}

// rollout reads one rollout through the admin API.
func (s *stack) rollout(id string) RolloutJSON {
	s.t.Helper()
	r := s.admin(http.MethodGet, "/api/admin/rollouts/"+id)
	mustStatus(s.t, r, http.StatusOK)
	var out RolloutJSON
	r.decode(s.t, &out)
	return out
}

// rolloutReaches waits until the rollout is in state and returns it.
func (s *stack) rolloutReaches(id, state string) RolloutJSON {
	s.t.Helper()
	var ro RolloutJSON
	took := waitFor(s.t, "rollout "+id+" "+state, 3*time.Minute, func() bool {
		ro = s.rollout(id)
		return ro.State == state
	})
	s.t.Logf("MEASURED rollout %s reached %s after %s: %+v", id, state, took.Round(time.Millisecond), ro.Counts)
	return ro
}

// machineImage is the image the user's tenant machine runs on the Fly simulator.
func (s *stack) machineImage(user string) string {
	s.t.Helper()
	tn := s.tenantOf(user)
	return s.machine(tn.AppName, tn.MachineID).Image
}

// rolloutApplies counts the user's apply jobs of one rollout (its change or its rollback).
func (s *stack) rolloutApplies(user, id, reason string) int {
	s.t.Helper()
	return len(rolloutJobs(s.t, s.store, user, id, reason))
}

// rolloutJobs lists the user's apply jobs of one rollout (its change or its rollback) that
// were not superseded before they ran.
func rolloutJobs(t *testing.T, st launchpad.Store, user, id, reason string) []*launchpad.Job {
	t.Helper()
	js, err := st.ListJobs(t.Context(), launchpad.JobFilter{Kind: launchpad.JobApply, Key: user, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []*launchpad.Job
	for _, j := range js {
		if d, err := launchpad.ParseApplyRequest(j.Payload); err == nil && d.Rollout == id && d.Reason == reason && j.Status != launchpad.JobSuperseded {
			out = append(out, j)
		}
	}
	return out
}

// platformActions lists the actions of the platform audit stream about one rollout, oldest first.
func (s *stack) platformActions(id string) []string {
	s.t.Helper()
	evs, err := s.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: launchpad.PlatformStream, Limit: 500})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Target == id {
			out = append(out, e.Action)
		}
	}
	return out
}

// TestRolloutCanaryHealthGateAbortThenHealthyImageReachesEveryTenant runs two image rollouts
// over three real tenants, through serve, OpenTofu and the simulators. An image whose agent
// never passes its check stops at its one canary: the canary fails its health gate, the
// rollout pauses by itself, the other tenants are never applied and keep their image, and an
// abort puts the canary back on its previous image. A healthy image then reaches every tenant
// in waves (canary, then a batch of two), becomes the fleet's image, and a tenant created
// afterwards starts on it. Every step is in the platform's audit stream and each user's own.
func TestRolloutCanaryHealthGateAbortThenHealthyImageReachesEveryTenant(t *testing.T) {
	s := startStack(t, true, nil)
	createPlans(t, s.store)
	var users []string
	tokens := map[string]string{}
	for _, email := range []string{"ro-a@example.com", "ro-b@example.com", "ro-c@example.com"} {
		token, user, _ := s.provision(email)
		users = append(users, user)
		tokens[user] = token
	}
	for _, u := range users {
		if got := s.machineImage(u); got != runner.DefaultImage {
			t.Fatalf("tenant of %s runs %s before any rollout, want the fleet's seeded image %s", u, got, runner.DefaultImage)
		}
	}

	// 1. An unhealthy image: stops at the canary, pauses by itself.
	bad := s.startRollout(map[string]any{
		"image": "registry.fly.io/hermes-agent:2.0.0-unhealthy", "canary": 1, "batch_size": 2,
		"max_parallel": 2, "max_failures": 0, "health_timeout": "2s",
	})
	if bad.State != launchpad.RolloutRunning || bad.Total != 3 {
		t.Fatalf("rollout answer = %+v, want running over 3 tenants", bad)
	}
	ro := s.rolloutReaches(bad.ID, launchpad.RolloutPaused)
	if ro.Counts.Failed != 1 || ro.Counts.Pending != 2 || ro.Counts.InFlight != 0 || !strings.Contains(ro.Reason, "paused by itself") {
		t.Fatalf("paused rollout: counts %+v, reason %q; want the canary failed and two tenants pending", ro.Counts, ro.Reason)
	}
	canary := ro.Tenants[0]
	if canary.Wave != 0 || canary.Status != launchpad.TenantFailed || !strings.Contains(canary.Error, "critical") {
		t.Fatalf("canary = %+v, want wave 0 failed on its critical check", canary)
	}
	if got := s.machineImage(canary.UserID); !strings.HasSuffix(got, "-unhealthy") {
		t.Fatalf("the canary runs %s, want the unhealthy image it was given", got)
	}
	for _, tn := range ro.Tenants[1:] {
		if tn.Status != launchpad.TenantPending || tn.Job != "" {
			t.Errorf("tenant %s = %+v after the canary failed, want pending and never applied", tn.UserID, tn)
		}
		if n := s.rolloutApplies(tn.UserID, bad.ID, launchpad.ReasonRollout); n != 0 {
			t.Errorf("tenant %s has %d applies of the unhealthy rollout, want none", tn.UserID, n)
		}
		if got := s.machineImage(tn.UserID); got != runner.DefaultImage {
			t.Errorf("tenant %s runs %s, want it untouched on %s", tn.UserID, got, runner.DefaultImage)
		}
	}

	// 2. Abort: the canary is put back.
	r := s.do(http.MethodPost, "/api/admin/rollouts/"+bad.ID+"/abort", stackAdminToken, map[string]string{"Content-Type": "application/json"}, []byte("{}"))
	mustStatus(t, r, http.StatusOK)
	ro = s.rolloutReaches(bad.ID, launchpad.RolloutRolledBack)
	if ro.Tenants[0].Status != launchpad.TenantRolledBack || ro.Counts.RolledBack != 1 || ro.Counts.Pending != 2 {
		t.Fatalf("rolled back rollout: %+v, tenants %+v", ro.Counts, ro.Tenants)
	}
	if got := s.machineImage(canary.UserID); got != runner.DefaultImage {
		t.Fatalf("the canary runs %s after the rollback, want %s", got, runner.DefaultImage)
	}
	if n := s.rolloutApplies(canary.UserID, bad.ID, launchpad.ReasonRollout); n != 1 {
		t.Errorf("the canary was applied %d times by the rollout, want once", n)
	}
	// A finished rollout refuses more actions, naming its state.
	r = s.do(http.MethodPost, "/api/admin/rollouts/"+bad.ID+"/resume", stackAdminToken, map[string]string{"Content-Type": "application/json"}, []byte("{}"))
	mustStatus(t, r, http.StatusConflict)
	wantActions(t, s.platformActions(bad.ID), launchpad.AuditRolloutStarted, launchpad.AuditRolloutPaused, launchpad.AuditRolloutAborted, launchpad.AuditRolloutRolledBack)

	// 3. A healthy image reaches every tenant.
	const good = "registry.fly.io/hermes-agent:2.0.0"
	okRun := s.startRollout(map[string]any{"image": good, "canary": 1, "batch_size": 2, "max_parallel": 2, "health_timeout": "30s"})
	ro = s.rolloutReaches(okRun.ID, launchpad.RolloutCompleted)
	if ro.Counts.Succeeded != 3 || ro.Counts.Failed != 0 {
		t.Fatalf("completed rollout counts = %+v, want 3 succeeded", ro.Counts)
	}
	for _, tn := range ro.Tenants {
		if got := s.machineImage(tn.UserID); got != good {
			t.Errorf("tenant %s runs %s after the rollout, want %s", tn.UserID, got, good)
		}
		if n := s.rolloutApplies(tn.UserID, okRun.ID, launchpad.ReasonRollout); n != 1 {
			t.Errorf("tenant %s was applied %d times by the rollout, want once", tn.UserID, n)
		}
		if tn.Wave != map[bool]int{true: 0, false: 1}[tn.UserID == ro.Tenants[0].UserID] {
			t.Errorf("tenant %s is in wave %d", tn.UserID, tn.Wave)
		}
		ev := findEvent(s.auditOf(tokens[tn.UserID]), launchpad.AuditRolloutTenant, "")
		if ev == nil || ev.Details["rollout"] != okRun.ID || ev.Details["status"] != launchpad.TenantSucceeded || ev.Details["image"] != good {
			t.Errorf("the newest rollout event in %s's own audit = %+v, want this rollout's success on %s", tn.UserID, ev, good)
		}
	}
	wantActions(t, s.platformActions(okRun.ID), launchpad.AuditRolloutStarted, launchpad.AuditRolloutCompleted)
	f, err := s.store.GetFleet(context.Background())
	if err != nil || f.Image != good {
		t.Fatalf("fleet image = %+v, %v; want %s", f, err, good)
	}

	// 4. A tenant created afterwards starts on the fleet's new image.
	_, late, _ := s.provision("ro-late@example.com")
	if got := s.machineImage(late); got != good {
		t.Fatalf("a tenant created after the rollout runs %s, want %s", got, good)
	}
	s.assertNoSecretsInLogs()
}

// wantActions checks that the audit actions are exactly want, in order.
func wantActions(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rollout audit events = %v, want %v", got, want)
	}
}

// TestRolloutTenantsOwnApplyKeepsItsPlaceInTheRollout applies tenants of their own accord
// (an operator's apply, as a Stripe webhook would) while a rollout is paused: the canary the
// rollout moved stays on the rollout's image, not the fleet's, and the tenant not reached
// stays on the fleet's image, untouched by the rollout. The abort then puts the canary back.
func TestRolloutTenantsOwnApplyKeepsItsPlaceInTheRollout(t *testing.T) {
	s := startStack(t, true, nil)
	createPlans(t, s.store)
	s.provision("own-a@example.com")
	s.provision("own-b@example.com")
	const bad = "registry.fly.io/hermes-agent:3.0.0-unhealthy"
	ro := s.startRollout(map[string]any{"image": bad, "canary": 1, "max_failures": 0, "health_timeout": "2s"})
	got := s.rolloutReaches(ro.ID, launchpad.RolloutPaused)
	canary, later := got.Tenants[0].UserID, got.Tenants[1].UserID
	if got.Tenants[0].Status != launchpad.TenantFailed || got.Tenants[1].Status != launchpad.TenantPending {
		t.Fatalf("paused rollout tenants %+v, want the canary failed and the other pending", got.Tenants)
	}
	for user, want := range map[string]string{canary: bad, later: runner.DefaultImage} {
		r := s.admin(http.MethodPost, "/api/admin/tenants/"+user+"/apply")
		mustStatus(t, r, http.StatusAccepted)
		var j JobJSON
		r.decode(t, &j)
		s.finished(j.ID)
		if img := s.machineImage(user); img != want {
			t.Errorf("after its own apply during the paused rollout, %s runs %s; want %s", user, img, want)
		}
	}
	if n := s.rolloutApplies(later, ro.ID, launchpad.ReasonRollout); n != 0 {
		t.Errorf("the tenant not reached has %d applies of the rollout, want none", n)
	}
	r := s.do(http.MethodPost, "/api/admin/rollouts/"+ro.ID+"/abort", stackAdminToken, map[string]string{"Content-Type": "application/json"}, []byte("{}"))
	mustStatus(t, r, http.StatusOK)
	s.rolloutReaches(ro.ID, launchpad.RolloutRolledBack)
	if img := s.machineImage(canary); img != runner.DefaultImage {
		t.Fatalf("the canary runs %s after the abort, want %s", img, runner.DefaultImage)
	}
}
