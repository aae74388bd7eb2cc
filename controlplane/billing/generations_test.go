package billing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// giveKey records a sub-key on the user, as the provider does when it mints one.
func giveKey(t *testing.T, s launchpad.Store, user string) {
	t.Helper()
	if _, err := s.UpdateUser(t.Context(), user, func(u *launchpad.User) error {
		u.OpenRouterKeyHash = "orhash-" + user
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// The generations of User.Control reach the desired state, and so the apply jobs: a bump
// makes the next apply differ from the last, and ApplyNow carries it with its reason.
func TestGenerationsReachTheDesiredState(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	u, err := w.store.UpdateUser(t.Context(), "u1", func(u *launchpad.User) error {
		u.Control.KeyRotationGeneration, u.Control.RebuildGeneration = 2, 5
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := w.proc.DesiredFor(u, w.clock.Now())
	if !ok || d.KeyRotation != 2 || d.Rebuild != 5 || d.Plan != "starter" {
		t.Fatalf("DesiredFor after the bumps = %+v, %v", d, ok)
	}
	j, err := w.proc.ApplyNow(t.Context(), "u1", launchpad.ReasonRebuild)
	if err != nil {
		t.Fatal(err)
	}
	got, err := launchpad.ParseApplyRequest(j.Payload)
	if err != nil || got.KeyRotation != 2 || got.Rebuild != 5 || got.Reason != launchpad.ReasonRebuild || !j.Supersede {
		t.Fatalf("ApplyNow enqueued %+v (%v), supersede %v", got, err, j.Supersede)
	}
	if _, err := w.proc.ApplyNow(t.Context(), "u1", "Not A Reason"); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("ApplyNow with a bad reason: %v; want EINVALID", err)
	}
	w.createUser(t, "trial1", "t@example.com")
	if _, err := w.proc.ApplyNow(t.Context(), "trial1", launchpad.ReasonKeyRotation); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "no subscription") {
		t.Fatalf("ApplyNow for a user without a subscription: %v; want EINVALID saying so", err)
	}
}

// With RotateOnPlanChange, a change from one paid plan to another bumps the key rotation
// generation once (a replay bumps nothing), and the apply carries it; the first plan and a
// user without a key rotate nothing. Without it, a plan change never rotates.
func TestRotateOnPlanChange(t *testing.T) {
	for _, on := range []bool{true, false} {
		w := newWorldWith(t, nil, func(c *billing.ProcessorConfig) { c.RotateOnPlanChange = on })
		w.subscribe(t)
		if g := getUser(t, w.store, "u1").Control.KeyRotationGeneration; g != 0 {
			t.Fatalf("on=%v: the first plan bumped the key rotation generation to %d", on, g)
		}
		giveKey(t, w.store, "u1")
		upgrade := billingtest.SubscriptionUpdated("evt_upgrade", at(time.Minute), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: t0})
		w.deliver(t, upgrade)
		w.drainOK(t)
		w.deliver(t, withAPIVersion(upgrade, "2023-10-16")) // the same event again: a duplicate id
		w.deliver(t, billingtest.SubscriptionUpdated("evt_upgrade_replay", at(time.Minute), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: t0}))
		w.drainOK(t)

		want := int64(0)
		if on {
			want = 1
		}
		u := getUser(t, w.store, "u1")
		if u.Plan != "pro" || u.Control.KeyRotationGeneration != want {
			t.Fatalf("on=%v: after the upgrade and its replay: plan %q, key rotation generation %d; want pro, %d", on, u.Plan, u.Control.KeyRotationGeneration, want)
		}
		applies := w.applies(t, "u1")
		if last := applies[len(applies)-1]; last.Plan != "pro" || last.KeyRotation != want {
			t.Fatalf("on=%v: the upgrade's apply %+v; want pro at key rotation %d", on, last, want)
		}
		var changed *launchpad.AuditEvent
		for _, e := range audit(t, w.store, "u1") {
			if e.Action == launchpad.AuditPlanChanged && e.Details["to"] == "pro" {
				changed = e
			}
		}
		if changed == nil || (changed.Details["key_rotation_generation"] == "1") != on {
			t.Fatalf("on=%v: plan.changed audit event %+v", on, changed)
		}
	}
}

// OverdueAt is the moment billing's Lapse uses for a past-due subscription, so the metering
// loop's suspension and the lapse agree.
func TestOverdueAtAgreesWithTheLapse(t *testing.T) {
	w := newWorld(t, nil)
	failed := at(48 * time.Hour)
	for _, sub := range []launchpad.Subscription{
		{Status: "past_due", PastDueSince: failed, EventCreated: failed.Add(time.Hour)},
		{Status: "unpaid", PastDueSince: failed},
		{Status: "past_due", EventCreated: failed}, // no PastDueSince recorded: the event's time
	} {
		lapse, _ := w.proc.Lapse(&launchpad.User{ID: "u1", Subscription: sub})
		if got := sub.OverdueAt(grace); !got.Equal(failed.Add(grace)) || !got.Equal(lapse) {
			t.Errorf("%+v: OverdueAt = %s, Lapse = %s; want both %s", sub, got, lapse, failed.Add(grace))
		}
	}
	for _, status := range []string{"active", "trialing", "canceled", "paused", ""} {
		if got := (launchpad.Subscription{Status: status, PastDueSince: failed, EventCreated: failed}).OverdueAt(grace); !got.IsZero() {
			t.Errorf("a %q subscription is overdue at %s; want never", status, got)
		}
	}
}

func TestLoadEnvRotateOnPlanChange(t *testing.T) {
	for v, want := range map[string]bool{"": false, "true": true, "1": true, "false": false, " TRUE ": true} {
		e, err := billing.LoadEnv(func(k string) string {
			if k == "LAUNCHPAD_ROTATE_ON_PLAN_CHANGE" {
				return v
			}
			return ""
		})
		if err != nil || e.RotateOnPlanChange != want {
			t.Errorf("LAUNCHPAD_ROTATE_ON_PLAN_CHANGE=%q: %v, %v; want %v", v, e.RotateOnPlanChange, err, want)
		}
	}
	_, err := billing.LoadEnv(func(k string) string {
		if k == "LAUNCHPAD_ROTATE_ON_PLAN_CHANGE" {
			return "yes please"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "LAUNCHPAD_ROTATE_ON_PLAN_CHANGE") || !strings.Contains(err.Error(), "true or false") {
		t.Fatalf("a bad LAUNCHPAD_ROTATE_ON_PLAN_CHANGE: %v; want it named with what is valid", err)
	}
}
