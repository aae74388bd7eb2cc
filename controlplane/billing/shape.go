package billing

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stripe/stripe-go/v76"
)

// This file reads the objects of the events the processor acts on in either shape Stripe has
// sent them in (see versions.go). stripe-go v76's types carry the older shape only, so the
// fields that API versions from 2025-03-31.basil on moved are decoded here from the same
// data.object into small types of their own.

// unreadableError is an event whose data.object this server cannot read: a shape none of the
// supported API versions has, or one a later version introduced. Acting on it would be
// guessing (an invoice without its subscription looks like a one-off invoice, a subscription
// without a period like one that never started), so the webhook refuses it (Stripe retries
// it) and the processor fails it permanently; neither ever drops it as "nothing to do".
type unreadableError struct{ reason string }

func (e *unreadableError) Error() string { return e.reason }

func unreadable(format string, args ...any) error {
	return &unreadableError{reason: fmt.Sprintf(format, args...)}
}

func isUnreadable(err error) bool {
	var u *unreadableError
	return errors.As(err, &u)
}

// expandableID is a field that holds an object's id, or the object itself when the request
// expanded it.
type expandableID string

func (id *expandableID) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*id = expandableID(s)
		return nil
	}
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*id = expandableID(o.ID)
	return nil
}

// basilInvoice is what an invoice carries from 2025-03-31.basil on instead of `subscription`
// and its lines' `type` and `proration`.
type basilInvoice struct {
	Parent *struct {
		Type                string `json:"type"` // subscription_details, quote_details
		SubscriptionDetails *struct {
			Subscription expandableID `json:"subscription"`
		} `json:"subscription_details"`
	} `json:"parent"`
	Lines *struct {
		Data []struct {
			Parent *struct {
				Type                    string `json:"type"` // subscription_item_details, invoice_item_details
				SubscriptionItemDetails *struct {
					Proration bool `json:"proration"`
				} `json:"subscription_item_details"`
			} `json:"parent"`
		} `json:"data"`
	} `json:"lines"`
}

// basilSubscription is what a subscription carries from 2025-03-31.basil on instead of
// `current_period_start/end`: each item's own period.
type basilSubscription struct {
	Items *struct {
		Data []struct {
			CurrentPeriodStart int64 `json:"current_period_start"`
			CurrentPeriodEnd   int64 `json:"current_period_end"`
		} `json:"data"`
	} `json:"items"`
}

// readInvoice reads an invoice object of any supported API version. An invoice that is a
// subscription's (its billing_reason, parent or lines say so) but names the subscription in
// neither place a supported version puts it is unreadable.
func readInvoice(raw json.RawMessage) (invoiceFacts, error) {
	var inv stripe.Invoice
	if err := json.Unmarshal(raw, &inv); err != nil {
		return invoiceFacts{}, unreadable("the invoice does not decode as one: %v", err)
	}
	var basil basilInvoice
	if err := json.Unmarshal(raw, &basil); err != nil {
		return invoiceFacts{}, unreadable("invoice %s: its parent or lines do not decode: %v", inv.ID, err)
	}
	f := invoiceFactsOf(&inv, &basil)
	if f.Subscription == "" && f.ofSubscription {
		return invoiceFacts{}, unreadable("invoice %s (billing_reason %q) is a subscription's, but names the subscription neither in `subscription` (API versions before %s) nor in `parent.subscription_details.subscription` (from %s on)",
			f.ID, inv.BillingReason, BasilAPIVersion, BasilAPIVersion)
	}
	return f, nil
}

// readSubscription reads a subscription object of any supported API version. One with no
// billing period in either place a supported version puts it is unreadable.
func readSubscription(raw json.RawMessage, fetched bool) (subSnapshot, error) {
	var s stripe.Subscription
	if err := json.Unmarshal(raw, &s); err != nil {
		return subSnapshot{}, unreadable("the subscription does not decode as one: %v", err)
	}
	var basil basilSubscription
	if err := json.Unmarshal(raw, &basil); err != nil {
		return subSnapshot{}, unreadable("subscription %s: its items do not decode: %v", s.ID, err)
	}
	snap := snapshotOf(&s, &basil, fetched)
	if snap.PeriodStart.IsZero() || snap.PeriodEnd.IsZero() {
		return subSnapshot{}, unreadable("subscription %s has its billing period neither in `current_period_start/end` (API versions before %s) nor in `items.data[].current_period_start/end` (from %s on)",
			snap.ID, BasilAPIVersion, BasilAPIVersion)
	}
	return snap, nil
}

// readCheckout reads a checkout.session object; what the processor reads of it is the same
// in every supported API version.
func readCheckout(raw json.RawMessage) (stripe.CheckoutSession, error) {
	var cs stripe.CheckoutSession
	if err := json.Unmarshal(raw, &cs); err != nil {
		return cs, unreadable("the checkout session does not decode as one: %v", err)
	}
	return cs, nil
}

// subscriptionBillingReason reports whether an invoice's billing_reason is one Stripe gives
// only to a subscription's invoices (subscription, subscription_create, subscription_cycle,
// subscription_threshold, subscription_update).
func subscriptionBillingReason(r stripe.InvoiceBillingReason) bool {
	return strings.HasPrefix(string(r), "subscription")
}
