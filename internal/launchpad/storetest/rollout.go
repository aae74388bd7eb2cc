package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func rolloutCases() []testCase {
	return []testCase{
		{"rollouts/create_get_round_trip", testRolloutRoundTrip},
		{"rollouts/duplicate_id_conflicts", testRolloutDuplicate},
		{"rollouts/list_newest_first", testRolloutList},
		{"rollouts/update_serialised_and_key_kept", testRolloutUpdate},
		{"fleet/zero_until_set_then_updated", testFleet},
	}
}

func sampleRollout(id string, created time.Time) *launchpad.Rollout {
	return &launchpad.Rollout{
		ID: id, State: launchpad.RolloutRunning, Image: "registry.fly.io/hermes-agent:2.0.0", Plan: "pro",
		PlanBefore: &launchpad.PlanDefinition{Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, VolumeSizeGB: 1, MonthlySpendLimitUSD: 10.5},
		PlanAfter:  &launchpad.PlanDefinition{Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048}, VolumeSizeGB: 1, MachineHoursPerCycle: 400, AllowPooledKey: true},
		Selection:  launchpad.RolloutSelection{Plans: []string{"pro"}},
		Policy:     launchpad.RolloutPolicy{Canary: 1, BatchSize: 2, MaxParallel: 2, MaxFailures: 1, HealthTimeout: time.Minute},
		Tenants: []launchpad.RolloutTenant{
			{UserID: "u1", AppName: "lp-hermes-u1-1", Wave: 0, Status: launchpad.TenantPending, PreviousImage: "registry.fly.io/hermes-agent:1.4.2"},
			{UserID: "u2 'quoted\"", Wave: 1, Status: launchpad.TenantPending},
		},
		CreatedBy: "admin_token", CreatedAt: created,
	}
}

func testRolloutRoundTrip(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	in := sampleRollout("ro_1", t0)
	wantOK(t, s.CreateRollout(ctx, in), "CreateRollout")
	got, err := s.GetRollout(ctx, "ro_1")
	wantOK(t, err, "GetRollout")
	want := *in
	want.CreatedAt = t0.UTC()
	want.UpdatedAt = got.UpdatedAt
	wantEqual(t, "the rollout read back", got, &want)
	wantUTC(t, "Rollout times", got.CreatedAt, got.UpdatedAt)
	if got.UpdatedAt.IsZero() {
		t.Fatal("CreateRollout left UpdatedAt zero")
	}
	got.Tenants[0].Status = launchpad.TenantFailed
	again, err := s.GetRollout(ctx, "ro_1")
	wantOK(t, err, "GetRollout again")
	wantEqual(t, "a tenant's status after changing the returned copy", again.Tenants[0].Status, launchpad.TenantPending)
	_, err = s.GetRollout(ctx, "ro_missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetRollout of an unknown id")
}

func testRolloutDuplicate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateRollout(ctx, sampleRollout("ro_dup", t0)), "first CreateRollout")
	wantCode(t, s.CreateRollout(ctx, sampleRollout("ro_dup", t0)), launchpad.ECONFLICT, "CreateRollout with a taken id")
}

func testRolloutList(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for i, id := range []string{"ro_a", "ro_b", "ro_c"} {
		wantOK(t, s.CreateRollout(ctx, sampleRollout(id, t0.Add(time.Duration(i)*time.Minute))), "CreateRollout "+id)
	}
	all, err := s.ListRollouts(ctx, 0)
	wantOK(t, err, "ListRollouts")
	var ids []string
	for _, r := range all {
		ids = append(ids, r.ID)
	}
	wantEqual(t, "rollouts newest first", ids, []string{"ro_c", "ro_b", "ro_a"})
	two, err := s.ListRollouts(ctx, 2)
	wantOK(t, err, "ListRollouts limit 2")
	wantEqual(t, "rollouts with limit 2", len(two), 2)
}

func testRolloutUpdate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateRollout(ctx, sampleRollout("ro_up", t0)), "CreateRollout")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.UpdateRollout(ctx, "ro_up", func(r *launchpad.Rollout) error {
				r.Tenants = append(r.Tenants, launchpad.RolloutTenant{UserID: "x", Status: launchpad.TenantPending})
				return nil
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		wantOK(t, err, "concurrent UpdateRollout")
	}
	got, err := s.GetRollout(ctx, "ro_up")
	wantOK(t, err, "GetRollout")
	wantEqual(t, "tenants after concurrent appends", len(got.Tenants), 2+n)

	boom := errors.New("boom")
	_, err = s.UpdateRollout(ctx, "ro_up", func(r *launchpad.Rollout) error { r.State = launchpad.RolloutPaused; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("UpdateRollout whose fn fails = %v, want that error", err)
	}
	_, err = s.UpdateRollout(ctx, "ro_up", func(r *launchpad.Rollout) error { r.ID = "ro_other"; return nil })
	wantCode(t, err, launchpad.EINVALID, "UpdateRollout changing the id")
	got, err = s.GetRollout(ctx, "ro_up")
	wantOK(t, err, "GetRollout after refused updates")
	wantEqual(t, "state after refused updates", got.State, launchpad.RolloutRunning)
	_, err = s.UpdateRollout(ctx, "ro_missing", func(*launchpad.Rollout) error { return nil })
	wantCode(t, err, launchpad.ENOTFOUND, "UpdateRollout of an unknown id")
}

func testFleet(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	f, err := s.GetFleet(ctx)
	wantOK(t, err, "GetFleet on a fresh store")
	if f == nil || f.Image != "" || !f.UpdatedAt.IsZero() {
		t.Fatalf("GetFleet on a fresh store = %+v, want the zero record", f)
	}
	out, err := s.UpdateFleet(ctx, func(f *launchpad.Fleet) error { f.Image = "registry.fly.io/hermes-agent:2.0.0"; return nil })
	wantOK(t, err, "UpdateFleet")
	if out.Image != "registry.fly.io/hermes-agent:2.0.0" || out.UpdatedAt.IsZero() {
		t.Fatalf("UpdateFleet returned %+v", out)
	}
	_, err = s.UpdateFleet(ctx, func(f *launchpad.Fleet) error { f.Image = "other"; return errors.New("no") })
	if err == nil {
		t.Fatal("UpdateFleet whose fn fails returned nil")
	}
	f, err = s.GetFleet(ctx)
	wantOK(t, err, "GetFleet")
	wantEqual(t, "fleet image", f.Image, "registry.fly.io/hermes-agent:2.0.0")
	wantUTC(t, "Fleet.UpdatedAt", f.UpdatedAt)
}
