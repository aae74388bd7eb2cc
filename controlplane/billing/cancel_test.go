package billing_test

import (
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestCancelSubscriptionOnStripeMock cancels through stripe-go against stripe-mock, which
// checks the request against Stripe's OpenAPI spec; an unreachable API is EUNAVAILABLE with a
// message that holds no key.
func TestCancelSubscriptionOnStripeMock(t *testing.T) {
	const key = "sk_test_launchpad"
	base := stacktest.StartStripeMock(t)
	if err := billing.NewStripeAPI(key, base, nil).CancelSubscription(t.Context(), "sub_mocked"); err != nil {
		t.Fatalf("CancelSubscription on stripe-mock: %v", err)
	}
	env := billing.Env{APIKey: key, APIBase: "http://127.0.0.1:1"}
	err := env.Canceller().CancelSubscription(t.Context(), "sub_mocked")
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || strings.Contains(err.Error(), key) {
		t.Fatalf("cancelling with Stripe unreachable: %v; want EUNAVAILABLE without the key", err)
	}
	if (billing.Env{}).Canceller() != nil {
		t.Fatal("a canceller without STRIPE_API_KEY")
	}
}
