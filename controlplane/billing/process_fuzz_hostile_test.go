package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

var fuzzEventTypes = []string{
	billing.EventCheckoutCompleted, billing.EventSubscriptionCreated, billing.EventSubscriptionUpdated,
	billing.EventSubscriptionDeleted, billing.EventInvoicePaid, billing.EventInvoicePaymentFail, "customer.updated",
}

// FuzzProcessEvent is webhook parsing past the signature: a recorded event of every handled
// type with an arbitrary data.object goes through the processor, against a store with plans
// and a customer linked to a user. The processor must not panic, must fail only with a
// coded error that says what is wrong (never EINTERNAL), and must leave the user readable.
func FuzzProcessEvent(f *testing.F) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"), sqlite.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	for _, p := range []*launchpad.Plan{
		{Name: "starter", StripePriceID: "price_StarterMonthly", VolumeSizeGB: 5, Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}},
		{Name: "pro", StripePriceID: "price_ProMonthly", VolumeSizeGB: 20, Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}},
	} {
		if err := s.CreatePlan(ctx, p); err != nil {
			f.Fatal(err)
		}
	}
	if err := s.CreateUser(ctx, &launchpad.User{ID: "fuzzuser01", Email: "fuzz@example.com", Plan: launchpad.TrialPlan,
		Subscription: launchpad.Subscription{StripeCustomerID: "cus_1"}}); err != nil {
		f.Fatal(err)
	}
	proc, err := billing.NewProcessor(billing.ProcessorConfig{Store: s, Now: func() time.Time { return t0 }})
	if err != nil {
		f.Fatal(err)
	}
	seeds := map[int]map[string]any{
		0: checkoutObject("cs_1", "cus_1", "fuzzuser01", "fuzz@example.com", "sub_1", map[string]string{"product": "hermes", "region": "iad"}),
		1: subscriptionObject("sub_1", "cus_1", "active", "price_StarterMonthly", t0),
		2: subscriptionObject("sub_1", "cus_1", "past_due", "price_ProMonthly", t0),
		3: subscriptionObject("sub_1", "cus_1", "canceled", "price_ProMonthly", t0),
		4: invoiceObject("in_1", "cus_1", "sub_1", "subscription_cycle", t0),
		5: invoiceObject("in_2", "cus_1", "sub_1", "subscription_create", t0),
		6: {"id": "cus_1", "object": "customer"},
	}
	for i, obj := range seeds {
		b, _ := json.Marshal(obj)
		f.Add(uint8(i), b)
	}
	for _, raw := range []string{`null`, `{}`, `[]`, `{"customer":{"id":"cus_1"},"items":{"data":[null,{"price":null}]}}`,
		`{"customer":"cus_1","metadata":{"user_id":"../x","product":"\u0000","image":"evil:latest"}}`,
		`{"customer":"cus_1","current_period_start":-1,"current_period_end":99999999999999}`,
		`{"customer":"cus_1","lines":{"data":[{"period":{"start":1e300,"end":-5},"type":"subscription"}]}}`} {
		for i := range fuzzEventTypes {
			f.Add(uint8(i), []byte(raw))
		}
	}
	n := 0
	f.Fuzz(func(t *testing.T, typ uint8, object []byte) {
		if !json.Valid(object) {
			return // the webhook refuses the envelope before anything is recorded (FuzzWebhookBody)
		}
		n++
		id := fmt.Sprintf("evt_fuzz_%d", n)
		body := fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created":%d,"api_version":"2023-10-16","data":{"object":%s}}`,
			id, fuzzEventTypes[int(typ)%len(fuzzEventTypes)], t0.Add(time.Duration(n)*time.Second).Unix(), object)
		job := billing.StripeEventJob(id, "", 0)
		if _, err := s.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: id, Type: fuzzEventTypes[int(typ)%len(fuzzEventTypes)],
			Created: t0, Payload: []byte(body), ReceivedAt: t0}, job); err != nil {
			t.Fatal(err)
		}
		_, err := proc.HandleEvent(ctx, job)
		if err != nil && (launchpad.ErrorCode(err) == launchpad.EINTERNAL || launchpad.ErrorMessage(err) == "") {
			t.Fatalf("processing %s failed without a coded error: %v", body, err)
		}
		if _, err := s.GetUser(ctx, "fuzzuser01"); err != nil {
			t.Fatalf("after %s the user cannot be read: %v", body, err)
		}
	})
}
