package controlplane

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Stripe payloads as Stripe sends them, for the webhook tests (the billing package has its own
// for its unit tests; these are the few the end-to-end tests send over HTTP).

func stripeEvent(id, typ string, created time.Time, object map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": stripe.APIVersion, "created": created.Unix(),
		"type": typ, "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func stripeSubscription(id, customer, status, price string, periodStart time.Time) map[string]any {
	return map[string]any{
		"id": id, "object": "subscription", "customer": customer, "status": status,
		"current_period_start": periodStart.Unix(), "current_period_end": periodStart.AddDate(0, 1, 0).Unix(),
		"cancel_at_period_end": false, "metadata": map[string]string{},
		"items": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": "si_" + id, "object": "subscription_item", "price": map[string]any{"id": price, "object": "price"},
		}}},
	}
}

func stripeCheckout(id, customer, userID, email, subscription string) map[string]any {
	return map[string]any{
		"id": id, "object": "checkout.session", "mode": "subscription", "customer": customer,
		"client_reference_id": userID, "subscription": subscription,
		"customer_details": map[string]any{"email": email}, "metadata": map[string]string{},
	}
}

// stripeSignature is the Stripe-Signature header of payload signed with secret at ts.
func stripeSignature(payload []byte, secret string, ts time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: ts}).Header
}

// sseEvent is one server-sent event.
type sseEvent struct {
	Name, ID string
	Data     []string
}

// readSSE parses a server-sent event stream into ch until r ends, then closes ch.
func readSSE(r io.Reader, ch chan<- sseEvent) {
	defer close(ch)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Name != "" || len(ev.Data) > 0 {
				ch <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			ev.ID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data = append(ev.Data, strings.TrimPrefix(line, "data: "))
		}
	}
}
