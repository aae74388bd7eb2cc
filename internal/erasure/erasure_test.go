package erasure_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/erasure"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// cancels records the subscriptions cancelled.
type cancels struct{ ids []string }

func (c *cancels) CancelSubscription(_ context.Context, id string) error {
	c.ids = append(c.ids, id)
	return nil
}

var errCrash = errors.New("the process died here")

// TestErasureResumesAfterACrashBetweenSteps stops the erasure job right after the Stripe
// subscription was cancelled, as a crash would, then runs the job again: it carries on from
// the next step (the subscription is not cancelled twice), pseudonymises the audit stream,
// records the erasure once, and erases the user; a third run finds nothing to do.
func TestErasureResumesAfterACrashBetweenSteps(t *testing.T) {
	ctx := t.Context()
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	u := &launchpad.User{ID: "u-leaving", Email: "leaving@example.com", Plan: "starter",
		Subscription: launchpad.Subscription{StripeCustomerID: "cus_leaving", StripeSubscriptionID: "sub_leaving", Status: launchpad.StatusActive, Plan: "starter"}}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// A credential sealed for the user, and a copy of it kept aside (a backup, a log line).
	kr, err := envelope.NewKeyring("erasure-test-platform-secret-0123456789abcdef", "")
	if err != nil {
		t.Fatal(err)
	}
	sealer := envelope.NewSealer(kr, st)
	copied, err := sealer.Seal(ctx, []byte("JBSWY3DPEHPK3PXP"), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, &launchpad.Session{ID: "s1", UserID: u.ID, FamilyID: "f1", TokenHash: "th1", CreatedAt: now, ExpiresAt: now.Add(time.Hour), AuthTime: now}); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{launchpad.AuditSignIn, launchpad.AuditNewDevice} {
		if _, err := st.AppendAudit(ctx, &launchpad.AuditEvent{Stream: u.ID, Actor: launchpad.UserActor(u.ID), Action: action,
			Details: map[string]string{"email": u.Email, "ip": "192.0.2.7"}}); err != nil {
			t.Fatal(err)
		}
	}
	stripe := &cancels{}
	cfg := erasure.Config{Store: st, Stripe: stripe, PseudonymKey: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }}
	erasure.SetAfterStep(&cfg, func(step string) error {
		if step == erasure.StepSubscription {
			return errCrash
		}
		return nil
	})
	crashing, err := erasure.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := crashing.Request(ctx, u.ID, launchpad.UserActor(u.ID))
	if err != nil || res.Status != "deleting" || res.Job == nil {
		t.Fatalf("Request = %+v, %v", res, err)
	}
	if s, err := st.GetCurrentSession(ctx, "f1"); err != nil || s.RevokedAt.IsZero() {
		t.Fatalf("the session after the request: %+v, %v; want it revoked at once", s, err)
	}

	if _, err := crashing.Run(ctx, res.Job); !errors.Is(err, errCrash) {
		t.Fatalf("the first run ended with %v, want the crash", err)
	}
	mid, err := st.GetUser(ctx, u.ID)
	if err != nil || mid.Control.ErasureStep != erasure.StepSubscription || len(stripe.ids) != 1 {
		t.Fatalf("after the crash: user %+v, %v, cancelled %v; want step %s stored and one cancellation", mid, err, stripe.ids, erasure.StepSubscription)
	}
	if _, err := sealer.Open(ctx, copied, u.ID); err != nil {
		t.Fatalf("the credential no longer opens before the shredding step: %v", err)
	}

	cfg2 := cfg
	erasure.SetAfterStep(&cfg2, nil)
	svc, err := erasure.New(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Run(ctx, res.Job); err != nil {
		t.Fatalf("the run after the crash: %v", err)
	}
	if len(stripe.ids) != 1 {
		t.Fatalf("the subscription was cancelled %d times, want once", len(stripe.ids))
	}
	if _, err := st.GetUser(ctx, u.ID); !launchpad.IsNotFound(err) {
		t.Fatalf("the user after the erasure: %v, want ENOTFOUND", err)
	}
	if _, err := sealer.Open(ctx, copied, u.ID); !errors.Is(err, envelope.ErrKeyErased) || !strings.Contains(err.Error(), "key material was erased") {
		t.Fatalf("opening the copy of the credential after the erasure, with the same keyring: %v; want ErrKeyErased", err)
	}
	events, err := st.ListAudit(ctx, launchpad.AuditFilter{Stream: svc.ErasedStream(u.ID)})
	if err != nil || len(events) != 3 { // sign-in, new device, deletion requested
		t.Fatalf("the erased stream: %d events, %v; want 3", len(events), err)
	}
	if err := launchpad.VerifyChain(nil, events); err != nil {
		t.Fatalf("the erased stream does not verify: %v", err)
	}
	for _, e := range events {
		all := e.Stream + e.Actor + e.Target + strings.Join(values(e.Details), " ")
		if strings.Contains(all, u.ID) || strings.Contains(all, u.Email) || strings.Contains(all, "192.0.2.7") {
			t.Fatalf("a pseudonymised event still names the user: %+v", e)
		}
	}
	platform, err := st.ListAudit(ctx, launchpad.AuditFilter{Stream: launchpad.PlatformStream})
	if err != nil || len(platform) != 1 || platform[0].Action != launchpad.AuditAccountErased || platform[0].Target != svc.ErasedStream(u.ID) {
		t.Fatalf("the platform stream: %+v, %v; want one account.erased naming the erased stream", platform, err)
	}
	if platform[0].Details["key_material"] != "shredded" {
		t.Fatalf("the erasure's audit event does not record the shredding: %v", platform[0].Details)
	}

	// The erasure's own job record names the user only by pseudonym now.
	kept, err := st.GetJob(ctx, res.Job.ID)
	if err != nil || kept.Key != svc.ErasedStream(u.ID) || strings.Contains(string(kept.Payload)+kept.Key+kept.Error, u.ID) {
		t.Fatalf("the erasure job after the erasure: %+v, %v; want it keyed by the erased stream and the user id nowhere", kept, err)
	}
	if _, err := svc.Run(ctx, kept); err != nil {
		t.Fatalf("a run of the pseudonymised job: %v", err)
	}
	if _, err := svc.Run(ctx, res.Job); err != nil {
		t.Fatalf("a run after the erasure: %v", err)
	}
	if res, err := svc.Request(ctx, u.ID, launchpad.ActorAdminToken); err != nil || res.Status != "erased" {
		t.Fatalf("a request after the erasure: %+v, %v; want status erased", res, err)
	}
	if _, err := svc.Request(ctx, "u-never", launchpad.ActorAdminToken); !launchpad.IsNotFound(err) {
		t.Fatalf("a request for a user who never existed: %v, want ENOTFOUND", err)
	}
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
