package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// maxBlobField is the largest byte field (a Stripe payload, a job payload) one document takes:
// Firestore documents are at most 1 MiB, names and other fields included.
const maxBlobField = 900 << 10

// stripeEventDoc is a recorded webhook event (launchpad_stripe_events/{eventId}).
type stripeEventDoc struct {
	ID          string     `firestore:"id"`
	Type        string     `firestore:"type"`
	Created     *time.Time `firestore:"created"`
	APIVersion  string     `firestore:"apiVersion"`
	Payload     []byte     `firestore:"payload"`
	ReceivedAt  *time.Time `firestore:"receivedAt"`
	ProcessedAt *time.Time `firestore:"processedAt"`
	Error       string     `firestore:"error"`
}

var stripeEventKind = recordKind[launchpad.StripeEvent, stripeEventDoc]{
	what: "Stripe event", keyName: "ID",
	col: func(s *Store) string { return s.col.stripeEvents },
	key: func(e *launchpad.StripeEvent) string { return e.ID },
	encode: func(e *launchpad.StripeEvent) *stripeEventDoc {
		return &stripeEventDoc{
			ID: e.ID, Type: e.Type, Created: ts(e.Created), APIVersion: e.APIVersion,
			Payload: clone(e.Payload), ReceivedAt: ts(e.ReceivedAt), ProcessedAt: ts(e.ProcessedAt), Error: e.Error,
		}
	},
	decode: func(d *stripeEventDoc) *launchpad.StripeEvent {
		return &launchpad.StripeEvent{
			ID: d.ID, Type: d.Type, Created: fromTS(d.Created), APIVersion: d.APIVersion,
			Payload: clone(d.Payload), ReceivedAt: fromTS(d.ReceivedAt), ProcessedAt: fromTS(d.ProcessedAt), Error: d.Error,
		}
	},
}

// RecordStripeEvent stores ev unless an event with its ID exists and, in the same commit,
// enqueues job (if not nil). The commit creates the event document, so of any number of
// concurrent deliveries, in any number of processes, exactly one records the event and its
// job; the others see the event and return false with nothing written.
func (s *Store) RecordStripeEvent(ctx context.Context, ev *launchpad.StripeEvent, job *launchpad.Job) (bool, error) {
	if ev.ID == "" {
		return false, launchpad.Errorf(launchpad.EINVALID, "a Stripe event needs its id (evt_…)")
	}
	if len(ev.Payload) > maxBlobField {
		return false, launchpad.Errorf(launchpad.EINVALID, "Stripe event %s has a %d-byte payload; the Firestore store keeps payloads up to %d bytes", launchpad.Clip(ev.ID, 100), len(ev.Payload), maxBlobField)
	}
	c := *ev
	c.ReceivedAt = s.orNow(c.ReceivedAt)
	doc := stripeEventKind.encode(&c)
	var next *launchpad.Job
	refs := []*firestore.DocumentRef{stripeEventKind.ref(s, c.ID)}
	if job != nil {
		var err error
		if next, err = s.newJob(job, s.clock()); err != nil {
			return false, err
		}
		refs = append(refs, s.enqueueRefs(next)...)
	}
	var recorded bool
	err := s.atomically(ctx, "record Stripe event", func(b *batch) error {
		recorded = false
		snaps, err := s.getAll(ctx, refs...)
		if err != nil {
			return err
		}
		if snaps[0].Exists() {
			return nil // a duplicate delivery: nothing written, nothing enqueued
		}
		b.create(snaps[0].Ref, doc)
		if next != nil {
			if _, err := s.enqueue(ctx, b, next, snaps[1], snaps[2]); err != nil {
				return err
			}
		}
		recorded = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return recorded, nil
}

// GetStripeEvent returns the recorded event with id, or ENOTFOUND.
func (s *Store) GetStripeEvent(ctx context.Context, id string) (*launchpad.StripeEvent, error) {
	return getRecord(ctx, s, stripeEventKind, id)
}

// UpdateStripeEvent applies fn to the recorded event atomically; EINVALID if fn changes ID.
func (s *Store) UpdateStripeEvent(ctx context.Context, id string, fn func(*launchpad.StripeEvent) error) (*launchpad.StripeEvent, error) {
	return updateRecord(ctx, s, stripeEventKind, id, fn)
}

// ListStripeEvents returns up to limit events (0 means 100; at most 1000), newest received
// first.
func (s *Store) ListStripeEvents(ctx context.Context, limit int) ([]*launchpad.StripeEvent, error) {
	q := s.client.Collection(s.col.stripeEvents).OrderBy("receivedAt", firestore.Desc).Limit(contract.ListLimit(limit))
	return readAll(ctx, q, "list Stripe events", stripeEventKind.fromSnap)
}

// clone copies b, keeping nil as nil.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
