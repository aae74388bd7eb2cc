package billing

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/customer"
	"github.com/stripe/stripe-go/v76/invoice"
	"github.com/stripe/stripe-go/v76/price"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// AccountAPI reads a customer's prices, invoices and card from the Stripe API for the
// dashboard's billing page (web.BillingAccount).
type AccountAPI struct {
	prices    price.Client
	invoices  invoice.Client
	customers customer.Client
}

var _ web.BillingAccount = (*AccountAPI)(nil)

// NewAccountAPI returns a reader of the Stripe API at baseURL (DefaultAPIBase, or
// stripe-mock in tests) with the secret key.
func NewAccountAPI(key, baseURL string, httpClient *http.Client) *AccountAPI {
	b := stripeBackend(baseURL, httpClient, 1)
	return &AccountAPI{prices: price.Client{B: b, Key: key}, invoices: invoice.Client{B: b, Key: key}, customers: customer.Client{B: b, Key: key}}
}

// Account returns the billing page's reader Env asks for: the Stripe API when
// STRIPE_API_KEY is set, nil (the page links the hosted portal) otherwise.
func (e Env) Account() web.BillingAccount {
	if e.APIKey == "" {
		return nil
	}
	return NewAccountAPI(e.APIKey, e.APIBase, nil)
}

// Price reads a Stripe price.
func (a *AccountAPI) Price(ctx context.Context, priceID string) (web.Price, error) {
	params := &stripe.PriceParams{}
	params.Context = ctx
	p, err := a.prices.Get(priceID, params)
	if err != nil {
		return web.Price{}, stripeError(ctx, err, "price "+priceID)
	}
	out := web.Price{UnitAmount: p.UnitAmount, Currency: string(p.Currency)}
	if p.Recurring != nil {
		out.Interval = string(p.Recurring.Interval)
	}
	return out, nil
}

// Invoices lists the customer's newest invoices.
func (a *AccountAPI) Invoices(ctx context.Context, customerID string, limit int) ([]web.Invoice, error) {
	params := &stripe.InvoiceListParams{Customer: stripe.String(customerID)}
	params.Context = ctx
	params.Limit = stripe.Int64(int64(limit))
	params.Single = true // one page: the newest
	it := a.invoices.List(params)
	var out []web.Invoice
	for it.Next() && len(out) < limit {
		inv := it.Invoice()
		out = append(out, web.Invoice{Number: inv.Number, Created: time.Unix(inv.Created, 0).UTC(), AmountDue: inv.AmountDue,
			Currency: string(inv.Currency), Status: string(inv.Status), HostedURL: inv.HostedInvoiceURL})
	}
	if err := it.Err(); err != nil {
		return nil, stripeError(ctx, err, "the invoices of customer "+customerID)
	}
	return out, nil
}

// PaymentMethod reads the customer's default card (ENOTFOUND when none is set).
func (a *AccountAPI) PaymentMethod(ctx context.Context, customerID string) (web.PaymentMethod, error) {
	params := &stripe.CustomerParams{}
	params.Context = ctx
	params.AddExpand("invoice_settings.default_payment_method")
	c, err := a.customers.Get(customerID, params)
	if err != nil {
		return web.PaymentMethod{}, stripeError(ctx, err, "customer "+customerID)
	}
	if c.InvoiceSettings == nil || c.InvoiceSettings.DefaultPaymentMethod == nil || c.InvoiceSettings.DefaultPaymentMethod.Card == nil {
		return web.PaymentMethod{}, launchpad.Errorf(launchpad.ENOTFOUND, "customer %s has no default card", customerID)
	}
	card := c.InvoiceSettings.DefaultPaymentMethod.Card
	return web.PaymentMethod{Brand: string(card.Brand), Last4: card.Last4, ExpMonth: int(card.ExpMonth), ExpYear: int(card.ExpYear)}, nil
}

// stripeError turns a Stripe API error about what (reading or changing it) into a coded one
// that never holds the key: a refused key gets only what to fix, since Stripe's message may
// quote part of it.
func stripeError(ctx context.Context, err error, what string) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		switch se.HTTPStatusCode {
		case http.StatusNotFound:
			return launchpad.Errorf(launchpad.ENOTFOUND, "Stripe has no %s", what)
		case http.StatusUnauthorized, http.StatusForbidden:
			return launchpad.Errorf(launchpad.EUNAVAILABLE, "the Stripe API refused STRIPE_API_KEY (%d) for %s: check the key", se.HTTPStatusCode, what)
		}
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the Stripe API answered %d (%s) for %s: %s", se.HTTPStatusCode, se.Code, what, launchpad.Clip(se.Msg, 200))
	}
	if ctx.Err() != nil {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "reaching Stripe for %s was cancelled", what)
	}
	return launchpad.Errorf(launchpad.EUNAVAILABLE, "the Stripe API could not be reached for %s: %v", what, err)
}
