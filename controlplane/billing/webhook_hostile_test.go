package billing_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestWebhookRefusesHostileBodies sends bodies an attacker would — and, worse, signs them
// with the endpoint's own secret, as someone holding a leaked secret could: 100,000 nested
// arrays or objects, invalid UTF-8 in the id or deep in data.object, overlong UTF-8, a raw
// NUL. Each is refused 400 with the JSON error shape, nothing is recorded and nothing queued.
// (The 10 MB body is TestOversizedBodyIs413AndStoresNothing.)
func TestWebhookRefusesHostileBodies(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	goodEvent := billingtest.SubscriptionUpdated("evt_hostile", time.Now(), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_StarterMonthly", PeriodStart: time.Now()})
	good := string(goodEvent.Body)
	bodies := map[string]string{
		"100,000 nested arrays":          strings.Repeat("[", 100_000),
		"100,000 nested objects":         strings.Repeat(`{"a":`, 100_000),
		"nested arrays in data.object":   strings.Replace(good, `"object":{`, `"object":{"x":`+strings.Repeat("[", 100_000)+`0`+strings.Repeat("]", 100_000)+`,`, 1),
		"invalid UTF-8 in the id":        strings.Replace(good, "evt_hostile", "evt_host\xffile", 1),
		"invalid UTF-8 in data.object":   strings.Replace(good, `"cus_1"`, "\"cus_\xfe\xff\"", 1),
		"overlong UTF-8 in the type":     strings.Replace(good, "customer.subscription.updated", "customer\xc0\xaesubscription.updated", 1),
		"a lone surrogate in the status": strings.Replace(good, `"active"`, "\"act\xed\xa0\x80ive\"", 1),
		"a raw NUL in the id":            strings.Replace(good, "evt_hostile", "evt_\x00hostile", 1),
	}
	for name, body := range bodies {
		for _, signed := range []bool{false, true} {
			header := billingtest.Sign([]byte(body), "whsec_someone_else", time.Now())
			if signed {
				header = billingtest.Sign([]byte(body), secret, time.Now())
			}
			r := post(t, url, []byte(body), header)
			code, msg := errorOf(r)
			if r.status != http.StatusBadRequest || code != launchpad.EINVALID || msg == "" {
				t.Errorf("%s (signed with the endpoint's secret: %v): %d %s", name, signed, r.status, r.raw)
			}
		}
	}
	holds(t, s, "hostile bodies", 0, 0)
	// The endpoint still takes a real event.
	deliver(t, url, goodEvent)
}
