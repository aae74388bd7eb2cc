package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/account"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// BillingAccount reads what Stripe knows of a customer's billing for the billing page: the
// plans' prices, the invoices and the card. Errors make the page fall back to Stripe's
// hosted portal link, never fail it.
type BillingAccount interface {
	// Price is a Stripe price: its amount in the currency's smallest unit, its currency and
	// its recurring interval ("month", "year").
	Price(ctx context.Context, priceID string) (Price, error)
	// Invoices are the customer's newest invoices, newest first.
	Invoices(ctx context.Context, customerID string, limit int) ([]Invoice, error)
	// PaymentMethod is the customer's default card; ENOTFOUND when there is none.
	PaymentMethod(ctx context.Context, customerID string) (PaymentMethod, error)
}

// Price is a plan's price on Stripe.
type Price struct {
	UnitAmount int64  // in the currency's smallest unit (cents)
	Currency   string // ISO code, lower case
	Interval   string // month, year
}

// Invoice is one invoice of the customer.
type Invoice struct {
	Number    string
	Created   time.Time
	AmountDue int64
	Currency  string
	Status    string // draft, open, paid, uncollectible, void
	HostedURL string // Stripe's page of the invoice
}

// PaymentMethod is the customer's card, as much of it as may be shown.
type PaymentMethod struct {
	Brand    string
	Last4    string
	ExpMonth int
	ExpYear  int
}

// billingData is the billing page: the plans side by side, the current plan with its price
// and renewal, the subscription's state in the overview's words, and the invoices and card
// (from Stripe's API when configured, else a link to Stripe's hosted portal).
type billingData struct {
	Plans        []planView
	Plan         *launchpad.Plan
	PlanName     string
	Price        string // the current plan's price, "" when unknown
	Subscription launchpad.Subscription
	// Standing is the subscription in plain words: renewing, cancelled (ends on), ended,
	// past due, none.
	Standing string
	// State is the account's state (the overview's notice), shown when it is about billing.
	State       account.State
	BillingKind bool   // State is about billing (past due, suspended, cancelled, torn down)
	Active      bool   // a subscription that is paid for (or in trial)
	PortalURL   string // Stripe's customer portal, with the address filled in
	CheckoutURL string // a Stripe payment link bound to this user
	Invoices    []Invoice
	Card        *PaymentMethod
	// StripeRead is set when the invoices and card came from Stripe's API just now.
	StripeRead bool
}

// planView is one plan of the comparison.
type planView struct {
	*launchpad.Plan
	Name    string // as every page names it (notice.PlanName)
	Price   string // "" when unknown
	Current bool
}

// billingReadTimeout bounds the Stripe reads of the billing page.
const billingReadTimeout = 5 * time.Second

// handleBilling shows the billing page.
func (h *Handler) handleBilling(w http.ResponseWriter, r *http.Request, s *session) {
	u := s.user
	ctx := r.Context()
	o, err := h.accounts.Overview(ctx, u)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	plans, err := h.store.ListPlans(ctx)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	d := &billingData{PlanName: o.PlanName, Subscription: u.Subscription, State: o.State}
	if o.Plan != nil && o.Plan.Name == u.Plan {
		d.Plan = o.Plan
	}
	d.Active = launchpad.SubscriptionRunning(u.Subscription.Status)
	d.Standing = standing(u.Subscription)
	switch o.State.Kind {
	case notice.PastDue, notice.Suspended, notice.Cancelled, notice.TornDown:
		d.BillingKind = true
	}
	sctx, cancel := context.WithTimeout(ctx, billingReadTimeout)
	defer cancel()
	for _, p := range plans {
		if p.Name == launchpad.TrialPlan && u.Plan != launchpad.TrialPlan {
			continue
		}
		v := planView{Plan: p, Name: notice.PlanName(p, p.Name), Current: p.Name == u.Plan}
		if h.billing != nil && p.StripePriceID != "" {
			if pr, err := h.billing.Price(sctx, p.StripePriceID); err == nil {
				v.Price = formatPrice(pr)
			} else {
				h.log.Warn("a plan's Stripe price could not be read", "plan", p.Name, "error", err.Error())
			}
		}
		if v.Current {
			d.Price = v.Price
		}
		d.Plans = append(d.Plans, v)
	}
	if cust := u.Subscription.StripeCustomerID; h.billing != nil && cust != "" {
		inv, ierr := h.billing.Invoices(sctx, cust, 12)
		pm, perr := h.billing.PaymentMethod(sctx, cust)
		if ierr == nil && (perr == nil || launchpad.IsNotFound(perr)) {
			d.Invoices, d.StripeRead = inv, true
			if perr == nil {
				d.Card = &pm
			}
		} else {
			h.log.Warn("the customer's invoices or card could not be read from Stripe; linking the portal", "error", errorText(ierr, perr))
		}
	}
	if h.cfg.BillingPortalURL != "" {
		d.PortalURL = withQuery(h.cfg.BillingPortalURL, url.Values{"prefilled_email": {u.Email}})
	}
	if h.cfg.CheckoutURL != "" {
		// Stripe payment links accept both: the webhook links the customer to the user by
		// client_reference_id, and the address is filled in.
		d.CheckoutURL = withQuery(h.cfg.CheckoutURL, url.Values{"client_reference_id": {u.ID}, "prefilled_email": {u.Email}})
	}
	h.render(w, r, http.StatusOK, "billing", signedInView(s, "Billing", "billing", d))
}

// standing says a subscription's state in words, never Stripe's raw status.
func standing(sub launchpad.Subscription) string {
	end := ""
	if !sub.CurrentPeriodEnd.IsZero() {
		end = notice.Day(sub.CurrentPeriodEnd)
	}
	switch {
	case sub.Status == "":
		return "No subscription"
	case launchpad.SubscriptionEnded(sub.Status):
		if !sub.CanceledAt.IsZero() {
			return "Cancelled: ended on " + notice.Day(sub.CanceledAt)
		}
		return "Cancelled: ended"
	case sub.Status == launchpad.StatusPaused:
		return "Paused"
	case sub.Status == launchpad.StatusPastDue || sub.Status == launchpad.StatusUnpaid:
		return "Payment overdue"
	case sub.Status == launchpad.StatusIncomplete:
		return "Waiting for the first payment"
	case sub.CancelAtPeriodEnd && end != "":
		return "Cancelled: ends on " + end + " and will not renew"
	case sub.Status == launchpad.StatusTrialing && end != "":
		return "In its trial period until " + end + ", then renews"
	case end != "":
		return "Active: renews on " + end
	}
	return "Active"
}

func errorText(errs ...error) string {
	for _, err := range errs {
		if err != nil && !launchpad.IsNotFound(err) {
			return err.Error()
		}
	}
	return ""
}

// withQuery adds q to the query of the configured URL raw (checked at start-up).
func withQuery(raw string, q url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	all := u.Query()
	for k, vs := range q {
		if vs[0] != "" {
			all[k] = vs
		}
	}
	u.RawQuery = all.Encode()
	return u.String()
}
