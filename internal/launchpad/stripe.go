package launchpad

import "time"

// StripeEvent is a verified Stripe webhook event, recorded before the webhook is answered and
// de-duplicated by Stripe's event id.
type StripeEvent struct {
	ID          string // evt_…
	Type        string
	Created     time.Time // Stripe's `created`
	APIVersion  string
	Payload     []byte // the verified raw body
	ReceivedAt  time.Time
	ProcessedAt time.Time
	Error       string
}
