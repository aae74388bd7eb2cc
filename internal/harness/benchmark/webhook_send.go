package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// ingestEvent is one event as Stripe delivers it: its body and the Stripe-Signature header,
// signed before the run starts so that the senders spend no CPU the server could use.
type ingestEvent struct {
	id, customer string
	body         []byte
	signature    string
}

// eventBatches writes batches of distinct events; created times only move forward.
type eventBatches struct {
	created time.Time
}

func newEventBatches(now time.Time) *eventBatches {
	return &eventBatches{created: now.Add(-time.Hour).Truncate(time.Second)}
}

// next returns n events whose ids carry tag (distinct from every other batch's), each
// invoice.finalized of one of 100 customers, signed now with secret.
func (b *eventBatches) next(tag string, n int, secret string) []ingestEvent {
	out := make([]ingestEvent, n)
	now := time.Now()
	for i := range out {
		customer := fmt.Sprintf("cus_bench%03d", i%100)
		id := fmt.Sprintf("evt_bench_%s_%06d", tag, i)
		invoice := billingtest.Invoice{ID: "in_" + id[4:], Customer: customer, Subscription: "sub_" + customer[4:], BillingReason: "subscription_cycle", PeriodStart: b.created}.Object()
		invoice["status"], invoice["paid"] = "open", false // finalized, not paid yet
		ev := billingtest.NewEvent(id, ingestEventType, b.created, invoice)
		out[i] = ingestEvent{id: id, customer: customer, body: ev.Body, signature: ev.Signature(secret, now)}
	}
	b.created = b.created.Add(time.Second)
	return out
}

// ingestSender posts events to one server from a fixed number of goroutines, each on its own
// keep-alive connection, as a webhook sender with that many deliveries in flight does.
type ingestSender struct {
	url     string
	senders int
	hc      *http.Client
}

func newIngestSender(base string, senders int) *ingestSender {
	tr := &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders, DisableCompression: true}
	return &ingestSender{url: base + "/api/stripe/webhook", senders: senders, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func (s *ingestSender) close() { s.hc.CloseIdleConnections() }

// send posts every event once and times the whole batch and each request. Every answer must
// be 200 {"received":true,"duplicate":false}; the first that is not fails the run, since a
// rate of events that were not taken means nothing.
func (s *ingestSender) send(ctx context.Context, evs []ingestEvent) (ingestRun, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	latencies := make([]float64, len(evs))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range s.senders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(evs) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := s.post(ctx, evs[i]); err != nil {
					cancel(err)
					return
				}
				latencies[i] = time.Since(t0).Seconds()
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return ingestRun{}, err
	}
	return ingestRun{rate: float64(len(evs)) / wall.Seconds(), latencies: latencies}, nil
}

func (s *ingestSender) post(ctx context.Context, ev ingestEvent) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(ev.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", ev.signature)
	res, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s (event %s): %w", s.url, ev.id, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("POST %s (event %s): reading the answer: %w", s.url, ev.id, err)
	}
	var got struct{ Received, Duplicate bool }
	if res.StatusCode != http.StatusOK || json.Unmarshal(b, &got) != nil || !got.Received || got.Duplicate {
		return fmt.Errorf("POST %s (event %s) answered %s %s; want 200 with the event received and not a duplicate", s.url, ev.id, res.Status, stack.Truncate(string(bytes.TrimSpace(b)), 300))
	}
	return nil
}
