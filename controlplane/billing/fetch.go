package billing

import (
	"context"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/subscription"
)

// SubscriptionFetcher reads a subscription from Stripe, the source of truth. Errors:
// ENOTFOUND when Stripe does not know it, EUNAVAILABLE when Stripe cannot be reached or
// refuses the key (messages never hold the key).
type SubscriptionFetcher interface {
	GetSubscription(ctx context.Context, id string) (*stripe.Subscription, error)
}

// StripeAPI is a SubscriptionFetcher on the Stripe API through stripe-go.
type StripeAPI struct {
	client subscription.Client
}

var _ SubscriptionFetcher = (*StripeAPI)(nil)

// NewStripeAPI returns a client of the Stripe API at baseURL (DefaultAPIBase, or stripe-mock
// in tests) with the secret key. httpClient nil means one with a 30-second timeout.
func NewStripeAPI(key, baseURL string, httpClient *http.Client) *StripeAPI {
	backend := stripeBackend(baseURL, httpClient, 2)
	return &StripeAPI{client: subscription.Client{B: backend, Key: key}}
}

// Fetcher returns the fetcher Env asks for: the Stripe API when STRIPE_API_KEY is set, nil
// (act on the verified payload) otherwise.
func (e Env) Fetcher() SubscriptionFetcher {
	if e.APIKey == "" {
		return nil
	}
	return NewStripeAPI(e.APIKey, e.APIBase, nil)
}

// GetSubscription fetches the subscription id, with its items' prices.
func (a *StripeAPI) GetSubscription(ctx context.Context, id string) (*stripe.Subscription, error) {
	params := &stripe.SubscriptionParams{}
	params.Context = ctx
	sub, err := a.client.Get(id, params)
	if err != nil {
		return nil, stripeError(ctx, err, "subscription "+id)
	}
	return sub, nil
}

// stripeBackend is the Stripe API at baseURL (DefaultAPIBase when empty, stripe-mock in tests)
// through httpClient (nil: one with a 30-second timeout), retrying a failed call retries
// times, with stripe-go's own logging off so no request detail reaches the logs.
func stripeBackend(baseURL string, httpClient *http.Client, retries int64) stripe.Backend {
	if baseURL == "" {
		baseURL = DefaultAPIBase
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(baseURL),
		HTTPClient:        httpClient,
		MaxNetworkRetries: stripe.Int64(retries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
}
