package billing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// An event whose payload the purge erased (it waited past its retention) fails for good with
// a message that says so and names the setting, instead of a parse error.
func TestEventWhosePayloadWasErasedFailsSayingWhy(t *testing.T) {
	ctx := t.Context()
	s, _ := sqlitetest.Open(t, sqlite.Options{})
	now := time.Date(2041, time.March, 14, 15, 0, 0, 0, time.UTC)
	proc, err := billing.NewProcessor(billing.ProcessorConfig{Store: s, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	job := billing.StripeEventJob("evt_late", "cus_1", 0)
	if _, err := s.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: "evt_late", Type: "checkout.session.completed",
		Payload: []byte(`{"id":"evt_late"}`), ReceivedAt: now.Add(-40 * 24 * time.Hour)}, job); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeStripePayloads(ctx, now.Add(-30*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("PurgeStripePayloads = %d, %v", n, err)
	}
	_, err = proc.HandleEvent(ctx, job)
	if !queue.IsPermanent(err) || !strings.Contains(err.Error(), "erased") || !strings.Contains(err.Error(), "LAUNCHPAD_RETENTION_STRIPE_PAYLOADS") {
		t.Fatalf("HandleEvent of an erased event: %v; want a permanent error saying the payload was erased and naming the setting", err)
	}
	ev, err := s.GetStripeEvent(ctx, "evt_late")
	if err != nil || ev.ProcessedAt.IsZero() || !strings.Contains(ev.Error, "erased") {
		t.Fatalf("the event after processing: %+v, %v; want it marked done with the reason", ev, err)
	}
}
