package controlplane

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// TestServePurgesStripePayloadsAfterTheirRetention runs serve with a payload retention of
// two seconds and a purge every second: a checkout's payload, which names the customer and
// their address, is emptied in the store and its bytes are in none of the SQLite store's
// files (database, WAL, shared memory), while the event's id is kept, so Stripe redelivering
// it is still a duplicate and enqueues nothing.
func TestServePurgesStripePayloadsAfterTheirRetention(t *testing.T) {
	s := startStack(t, false, map[string]string{
		"LAUNCHPAD_RETENTION_STRIPE_PAYLOADS": "2s",
		"LAUNCHPAD_PURGE_INTERVAL":            "1s",
	})
	ctx := t.Context()
	const user, name, address = "ada00001", "Ada Retention-Lovelace", "12 Purgeable Lane"
	if err := s.store.CreateUser(ctx, &launchpad.User{ID: user, Email: "ada@example.com", Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
	checkout := billingtest.CheckoutCompleted("evt_checkout_retained", time.Now(), billingtest.Checkout{
		ID: "cs_r1", Customer: "cus_r1", UserID: user, Email: "ada@example.com", Subscription: "sub_r1",
		Name: name, AddressLine1: address,
	}).Body
	if s.deliver(checkout) {
		t.Fatal("the first delivery of the checkout was called a duplicate")
	}
	ev, err := s.store.GetStripeEvent(ctx, "evt_checkout_retained")
	if err != nil || !bytes.Contains(ev.Payload, []byte(name)) {
		t.Fatalf("the recorded checkout: %v; want its payload with the customer's name", err)
	}

	took := waitFor(t, "the checkout's payload to be erased", time.Minute, func() bool {
		ev, err := s.store.GetStripeEvent(ctx, "evt_checkout_retained")
		return err == nil && len(ev.Payload) == 0
	})
	t.Logf("MEASURED delivery to payload erased (retention 2s, purge every 1s): %s", took.Round(time.Millisecond))
	// The sweep commits, then checkpoints the log into the database file and truncates it.
	path := strings.TrimPrefix(s.env["LAUNCHPAD_STORE"], "sqlite://")
	waitFor(t, "the store's files to hold neither the name nor the address", 30*time.Second, func() bool {
		return len(sqlitetest.FilesHolding(t, path, name, address)) == 0
	})
	jobs, err := s.store.ListJobs(ctx, launchpad.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.deliver(checkout) {
		t.Fatal("a redelivery of the purged checkout was recorded as a new event")
	}
	after, err := s.store.ListJobs(ctx, launchpad.JobFilter{})
	if err != nil || len(after) != len(jobs) {
		t.Fatalf("the redelivery changed the jobs from %d to %d (%v); want none enqueued", len(jobs), len(after), err)
	}
	if m := s.do(http.MethodGet, "/metrics", "", nil, nil); !strings.Contains(string(m.body), `launchpad_purged_total{class="stripe_payloads"}`) {
		t.Fatalf("/metrics does not count the purged payload:\n%s", m.body)
	}
	if strings.Contains(s.logs.String(), name) || strings.Contains(s.logs.String(), address) {
		t.Error("serve's log holds the customer's name or address")
	}
	s.assertNoSecretsInLogs()
}
