package billing_test

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
)

// A checkout matched by email finds the account of the canonical address, whatever the
// spelling Stripe saw (fullwidth letters, a fullwidth domain); one at an IP literal links
// nobody and fails visibly instead of making an account no one can sign in to.
func TestCheckoutMatchesLookAlikeEmailsToTheCanonicalAccount(t *testing.T) {
	w := newWorld(t, nil)
	w.createUser(t, "victim", "victim@example.com")
	w.deliver(t, billingtest.CheckoutCompleted("evt_c1", at(0), billingtest.Checkout{ID: "cs_1", Customer: "cus_v", Email: "ｖｉｃｔｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ", Subscription: "sub_v"}))
	w.drainOK(t)
	if u := getUser(t, w.store, "victim"); u.Subscription.StripeCustomerID != "cus_v" {
		t.Fatalf("the look-alike's checkout was not linked to the canonical account: %+v", u.Subscription)
	}

	w.deliver(t, billingtest.CheckoutCompleted("evt_c2", at(0), billingtest.Checkout{ID: "cs_2", Customer: "cus_ip", Email: "victim@[127.0.0.1]", Subscription: "sub_ip"}))
	out := w.drain(t)
	if len(out) != 1 || !queue.IsPermanent(out[0].err) {
		t.Fatalf("a checkout at an IP-literal address: %+v; want a permanent failure", out)
	}
	users, err := w.store.ListUsers(t.Context(), "", 10)
	if err != nil || len(users) != 1 {
		t.Fatalf("users after the checkouts: %d, %v; want only the victim's account", len(users), err)
	}
}
