package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// fuzzEventTypes are the types the processor acts on, and one it does not.
var fuzzEventTypes = append(billing.HandledTypes(), "customer.updated")

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
		0: billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: "fuzzuser01", Email: "fuzz@example.com", Subscription: "sub_1", Metadata: map[string]string{"product": "hermes", "region": "iad"}}.Object(),
		1: billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_StarterMonthly", PeriodStart: t0}.Object(),
		2: billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "past_due", Price: "price_ProMonthly", PeriodStart: t0}.Object(),
		3: billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "canceled", Price: "price_ProMonthly", PeriodStart: t0}.Object(),
		4: billingtest.Invoice{ID: "in_1", Customer: "cus_1", Subscription: "sub_1", BillingReason: "subscription_cycle", PeriodStart: t0}.Object(),
		5: billingtest.Invoice{ID: "in_2", Customer: "cus_1", Subscription: "sub_1", BillingReason: "subscription_create", PeriodStart: t0}.Object(),
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
