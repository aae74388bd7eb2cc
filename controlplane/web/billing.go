package web

import (
	"net/http"
	"net/url"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// billingData is the billing page: the plan, the Stripe subscription, and Stripe's hosted
// pages where they are configured.
type billingData struct {
	Plan         *launchpad.Plan
	PlanName     string
	Subscription launchpad.Subscription
	Active       bool   // a subscription that is paid for (or in trial)
	PortalURL    string // Stripe's customer portal, with the address filled in
	CheckoutURL  string // a Stripe payment link bound to this user
}

// handleBilling shows the billing page.
func (h *Handler) handleBilling(w http.ResponseWriter, r *http.Request, s *session) {
	u := s.user
	d := &billingData{PlanName: u.Plan, Subscription: u.Subscription}
	d.Active = launchpad.SubscriptionRunning(u.Subscription.Status)
	p, err := h.store.GetPlan(r.Context(), u.Plan)
	switch {
	case err == nil:
		d.Plan = p
		if p.DisplayName != "" {
			d.PlanName = p.DisplayName
		}
	case !launchpad.IsNotFound(err):
		h.failed(w, r, err)
		return
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
