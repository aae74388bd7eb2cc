package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// webhookTolerance is the control plane's: a signature up to 5 minutes old is accepted.
const webhookTolerance = 5 * time.Minute

// floorIngest is webhook_ingest's floor: each event verified on its raw body with stripe-go,
// exactly as the webhook does (ConstructEventWithOptions with the 5-minute tolerance), and
// recorded with one RecordStripeEvent — one write transaction — one after the other, in this
// process. withJob also enqueues a processing job in the same transaction, as the webhook
// does for the event types it handles.
func floorIngest(ctx context.Context, st launchpad.Store, evs []ingestEvent, secret string, withJob bool) (ingestRun, error) {
	opts := webhook.ConstructEventOptions{Tolerance: webhookTolerance, IgnoreAPIVersionMismatch: true}
	latencies := make([]float64, len(evs))
	start := time.Now()
	for i, e := range evs {
		t0 := time.Now()
		ev, err := webhook.ConstructEventWithOptions(e.body, e.signature, secret, opts)
		if err != nil {
			return ingestRun{}, fmt.Errorf("floor: verifying event %s: %w", e.id, err)
		}
		now := time.Now().UTC()
		rec := &launchpad.StripeEvent{
			ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0).UTC(), APIVersion: ev.APIVersion,
			Payload: e.body, ReceivedAt: now,
		}
		var job *launchpad.Job
		if withJob {
			payload, _ := json.Marshal(map[string]string{"event_id": ev.ID})
			job = &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "stripe:" + e.customer, Payload: payload}
		} else {
			rec.ProcessedAt = now
		}
		recorded, err := st.RecordStripeEvent(ctx, rec, job)
		if err != nil {
			return ingestRun{}, fmt.Errorf("floor: recording event %s: %w", e.id, err)
		}
		if !recorded {
			return ingestRun{}, fmt.Errorf("floor: event %s was taken for a duplicate; every event of the floor must be new", e.id)
		}
		latencies[i] = time.Since(t0).Seconds()
	}
	return ingestRun{rate: float64(len(evs)) / time.Since(start).Seconds(), latencies: latencies}, nil
}

// checkRecorded looks every event up in st and fails unless each is there with the body it
// was sent with: a webhook that answered 200 for an event it did not keep has lost it.
func checkRecorded(ctx context.Context, st launchpad.StripeEventStore, evs []ingestEvent) error {
	var missing, altered []string
	for _, e := range evs {
		got, err := st.GetStripeEvent(ctx, e.id)
		switch {
		case launchpad.IsNotFound(err):
			missing = append(missing, e.id)
		case err != nil:
			return fmt.Errorf("looking up event %s in serve's store: %w", e.id, err)
		case !bytes.Equal(got.Payload, e.body):
			altered = append(altered, e.id)
		}
	}
	if len(missing) == 0 && len(altered) == 0 {
		return nil
	}
	return errors.New(lostMessage(len(evs), missing, altered))
}

func lostMessage(total int, missing, altered []string) string {
	msg := fmt.Sprintf("webhook_ingest: serve answered 200 for %d events but", total)
	if len(missing) > 0 {
		msg += fmt.Sprintf(" %d are not in its store (first: %s)", len(missing), missing[0])
	}
	if len(altered) > 0 {
		if len(missing) > 0 {
			msg += " and"
		}
		msg += fmt.Sprintf(" %d are stored with another body (first: %s)", len(altered), altered[0])
	}
	return msg + ": events were lost, so the rate does not count"
}
