package billing_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestEveryRecordedTypeHasAProcessor: the webhook queues an event for processing exactly when
// the processor acts on its type. So no event is recorded, queued and then dropped as a type
// the processor does not know, and none it would act on is marked processed unseen.
func TestEveryRecordedTypeHasAProcessor(t *testing.T) {
	handled := billing.HandledTypes()
	for _, typ := range []string{billing.EventCheckoutCompleted, billing.EventSubscriptionCreated, billing.EventSubscriptionUpdated,
		billing.EventSubscriptionDeleted, billing.EventSubscriptionPaused, billing.EventSubscriptionResumed,
		billing.EventInvoicePaid, billing.EventInvoicePaymentFail} {
		if !slices.Contains(handled, typ) {
			t.Errorf("HandledTypes %v lacks %s", handled, typ)
		}
	}
	unhandled := []string{"customer.created", "payment_intent.succeeded", "invoice.finalized", "customer.subscription.trial_will_end"}

	w := newWorld(t, nil)
	for i, typ := range append(slices.Clone(handled), unhandled...) {
		t.Run(typ, func(t *testing.T) {
			id := fmt.Sprintf("evt_type_%02d", i)
			// An object of no particular kind, but with a billing period, so that the webhook
			// finds it readable whichever type it is delivered as.
			w.deliver(t, billingtest.NewEvent(id, typ, at(0), map[string]any{"id": "obj_1", "object": "unknown", "customer": "cus_nobody",
				"current_period_start": t0.Unix(), "current_period_end": t0.AddDate(0, 1, 0).Unix()}))
			queued := 0
			for _, j := range jobs(t, w.store, launchpad.JobFilter{Kind: launchpad.JobStripeEvent}) {
				if string(j.Payload) == `{"event_id":"`+id+`"}` {
					queued++
				}
			}
			rec, err := w.store.GetStripeEvent(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if want := billing.Handled(typ); (queued == 1) != want || queued > 1 {
				t.Fatalf("the webhook queued %d jobs for a %s event; Handled = %v", queued, typ, want)
			}
			if queued == 0 {
				if rec.ProcessedAt.IsZero() {
					t.Fatalf("an event the processor does not act on is recorded unprocessed: %+v", rec)
				}
				return
			}
			logged := len(w.log.String())
			w.drain(t)
			if strings.Contains(w.log.String()[logged:], "type not handled") {
				t.Fatalf("the webhook queued a %s event that the processor has no handler for", typ)
			}
		})
	}
}
