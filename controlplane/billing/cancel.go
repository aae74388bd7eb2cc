package billing

import (
	"context"
	"errors"
	"net/http"

	"github.com/stripe/stripe-go/v76"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
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
	var se *stripe.Error
	if errors.As(err, &se) {
		switch se.HTTPStatusCode {
		case http.StatusNotFound:
			return launchpad.Errorf(launchpad.ENOTFOUND, "Stripe has no subscription %s", id)
		case http.StatusUnauthorized, http.StatusForbidden:
			// Stripe's message may quote part of the key; say only what to fix.
			return launchpad.Errorf(launchpad.EUNAVAILABLE, "the Stripe API refused STRIPE_API_KEY (%d) cancelling subscription %s: check the key", se.HTTPStatusCode, id)
		}
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the Stripe API answered %d (%s) cancelling subscription %s: %s", se.HTTPStatusCode, se.Code, id, launchpad.Clip(se.Msg, 200))
	}
	return launchpad.Errorf(launchpad.EUNAVAILABLE, "the Stripe API could not be reached to cancel subscription %s: %v", id, err)
}
