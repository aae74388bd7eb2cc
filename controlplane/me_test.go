package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// GET /api/me's body, byte for byte, for an account with a bit of everything: a paid plan
// past due, usage, a tenant, a claimed apply and a sub-key the server cannot read live.
func TestMeBodyIsStable(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	tok := c.signIn("ada@example.com")
	ctx := context.Background()
	u, err := env.store.GetUserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := env.clock.Now()
	if err := env.store.CreatePlan(ctx, &launchpad.Plan{Name: "pro", DisplayName: "Pro", MonthlySpendLimitUSD: 5, MachineHoursPerCycle: 10,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 512}, VolumeSizeGB: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.store.UpdateUser(ctx, u.ID, func(u *launchpad.User) error {
		u.Plan = "pro"
		u.OpenRouterKeyHash = "hash-of-the-key"
		u.Subscription.Status, u.Subscription.Plan = launchpad.StatusPastDue, "pro"
		u.Subscription.CurrentPeriodEnd = now.Add(20 * 24 * time.Hour)
		u.Subscription.PastDueSince = now.Add(-time.Hour)
		u.Usage.CycleStart, u.Usage.CycleEnd = now.Add(-10*24*time.Hour), now.Add(20*24*time.Hour)
		u.Usage.MachineSeconds, u.Usage.MeteredUntil = 5400, now.Add(-time.Minute)
		u.Usage.AddToDay(now.Add(-25*time.Hour), 1800, 0.25)
		u.Usage.AddToDay(now.Add(-time.Minute), 3600, 0.5)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	app, err := launchpad.AppName("hermes", u.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.store.CreateTenant(ctx, &launchpad.Tenant{AppName: app, UserID: u.ID, Network: app, Product: "hermes", Region: "iad", Plan: "pro",
		MachineID: "m1", MachineState: launchpad.MachineStarted, IPv4: "203.0.113.7", KeySource: "subkey"}); err != nil {
		t.Fatal(err)
	}
	env.enqueue(launchpad.JobApply, u.ID, []byte(fmt.Sprintf(`{"user_id":%q,"plan":"pro","reason":"plan_changed"}`, u.ID)))
	env.claim(launchpad.JobApply)

	r := c.get("/api/me", tok.AccessToken)
	mustStatus(t, r, http.StatusOK)
	got := strings.NewReplacer(u.ID, "USER", app, "APP").Replace(string(r.body))
	const want = `{"user":{"id":"USER","email":"ada@example.com","plan":"pro","created_at":"2026-03-02T09:00:05Z"},` +
		`"subscription":{"status":"past_due","plan":"pro","current_period_end":"2026-03-22T09:00:05Z","cancel_at_period_end":false,"past_due_since":"2026-03-02T08:00:05Z"},` +
		`"mfa_enabled":false,` +
		`"tenants":[{"app_name":"APP","product":"hermes","region":"iad","plan":"pro","machine_state":"started","ipv4":"203.0.113.7","key_source":"subkey","created_at":"2026-03-02T09:00:05Z"}],` +
		`"usage":{"cycle_start":"2026-02-20T09:00:05Z","cycle_end":"2026-03-22T09:00:05Z","metered_at":"2026-03-02T08:59:05Z","hours_used":1.5,"hours_cap":10,"capped":false,"spend_exhausted":false,` +
		`"days":[{"day":"2026-03-01","hours":0.5,"spend_usd":0.25},{"day":"2026-03-02","hours":1,"spend_usd":0.5}]},` +
		`"spend_source":"last_metering_pass",` +
		`"apply":{"status":"running","plan":"pro","destroy":false,"attempts":1,"created_at":"2026-03-02T09:00:05Z","started_at":"2026-03-02T09:00:05Z","summary":{"add":0,"change":0,"destroy":0}},` +
		// One account state, the same the dashboard shows first: past due, with the grace's end.
		`"state":{"kind":"past_due","title":"A payment failed","text":"The payment for your subscription failed on 2 Mar 2026, 08:00 UTC. Your agent keeps running until 5 Mar 2026, 08:00 UTC; if the invoice is still unpaid then, its machine is stopped.",` +
		`"deadline":"2026-03-05T08:00:05Z","deadline_label":"Machine stops on","action":{"label":"Update your payment method","href":"/billing"},"tone":"alert"}}` + "\n"
	if got != want {
		t.Fatalf("GET /api/me\n got %s\nwant %s", got, want)
	}
}
