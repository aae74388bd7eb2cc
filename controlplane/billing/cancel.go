package billing

import (
	"context"

	"github.com/stripe/stripe-go/v76"
)

// Canceller returns the Stripe API to cancel subscriptions with when STRIPE_API_KEY is set
// (an account deletion cancels the user's subscription), nil otherwise.
func (e Env) Canceller() *StripeAPI {
	if e.APIKey == "" {
		return nil
	}
	return NewStripeAPI(e.APIKey, e.APIBase, nil)
}

// CancelSubscription cancels the subscription id at once (no further invoice). ENOTFOUND when
// Stripe does not know it; EUNAVAILABLE when Stripe cannot be reached or refuses (messages
// never hold the key).
func (a *StripeAPI) CancelSubscription(ctx context.Context, id string) error {
	params := &stripe.SubscriptionCancelParams{}
	params.Context = ctx
	_, err := a.client.Cancel(id, params)
	if err == nil {
		return nil
	}
	return stripeError(ctx, err, "subscription "+id)
}
