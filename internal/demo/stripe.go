package main

import (
	"encoding/json"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// stripeSim plays Stripe for one customer: it writes the events Stripe would send for one
// subscription and signs them with the endpoint's secret, as Stripe does.
type stripeSim struct {
	secret   string
	customer string
	sub      string
	period   time.Time // start of the current billing period
	last     time.Time // created time of the last event, so each is newer than the one before
	n        int
}

func newStripeSim(secret string, now time.Time) *stripeSim {
	return &stripeSim{secret: secret, customer: "cus_demo", sub: "sub_demo", period: now.Truncate(24 * time.Hour)}
}

// created returns a created time at least a second after the previous event's.
func (s *stripeSim) created() time.Time {
	t := time.Now().Truncate(time.Second)
	if !t.After(s.last) {
		t = s.last.Add(time.Second)
	}
	s.last = t
	return t
}

// event is one signed delivery: the body and its Stripe-Signature header.
type event struct {
	ID, Type  string
	Created   time.Time
	Body      []byte
	Signature string
}

func (s *stripeSim) event(typ string, created time.Time, object map[string]any) event {
	s.n++
	id := "evt_demo_" + string(rune('a'+s.n-1))
	body, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": stripe.APIVersion, "created": created.Unix(),
		"type": typ, "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: s.secret, Timestamp: time.Now()})
	return event{ID: id, Type: typ, Created: created, Body: body, Signature: signed.Header}
}

// checkout is checkout.session.completed for userID, paying for the subscription.
func (s *stripeSim) checkout(userID, email string) event {
	return s.event("checkout.session.completed", s.created(), map[string]any{
		"id": "cs_demo", "object": "checkout.session", "mode": "subscription", "customer": s.customer,
		"client_reference_id": userID, "subscription": s.sub, "customer_details": map[string]any{"email": email},
		"metadata": map[string]string{},
	})
}

// subscription is customer.subscription.created, .updated or .deleted with the given status
// and price.
func (s *stripeSim) subscription(typ, status, price string) event {
	created := s.created()
	obj := map[string]any{
		"id": s.sub, "object": "subscription", "customer": s.customer, "status": status,
		"current_period_start": s.period.Unix(), "current_period_end": s.period.AddDate(0, 1, 0).Unix(),
		"cancel_at_period_end": false, "metadata": map[string]string{},
		"items": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": "si_demo", "object": "subscription_item", "price": map[string]any{"id": price, "object": "price"},
		}}},
	}
	if status == "canceled" {
		obj["ended_at"], obj["canceled_at"] = created.Unix(), created.Unix()
	}
	return s.event(typ, created, obj)
}
