package billing

import (
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// invoiceFacts is what the processor reads of an invoice.
type invoiceFacts struct {
	ID           string
	Customer     string
	Subscription string
	// CycleStart/End is the subscription period the invoice bills (its non-proration
	// subscription line), zero for an invoice that opens no period (a proration).
	CycleStart, CycleEnd time.Time
	// Opens reports whether the invoice starts a billing period (the first one, or a renewal).
	Opens bool
	// ofSubscription: the invoice says it is a subscription's (its billing_reason, parent or
	// a line), whether or not it names the subscription where it is read from.
	ofSubscription bool
}

// invoiceFactsOf reads an invoice from stripe-go's decoding (the shape before basil) and
// basil's fields of the same object (readInvoice), each line in whichever shape it has.
func invoiceFactsOf(inv *stripe.Invoice, basil *basilInvoice) invoiceFacts {
	f := invoiceFacts{ID: inv.ID, ofSubscription: subscriptionBillingReason(inv.BillingReason)}
	if inv.Customer != nil {
		f.Customer = inv.Customer.ID
	}
	if inv.Subscription != nil {
		f.Subscription = inv.Subscription.ID
	}
	if p := basil.Parent; p != nil && p.Type == "subscription_details" {
		f.ofSubscription = true
		if f.Subscription == "" && p.SubscriptionDetails != nil {
			f.Subscription = string(p.SubscriptionDetails.Subscription)
		}
	}
	if inv.Lines != nil {
		for i, l := range inv.Lines.Data {
			if l == nil {
				continue
			}
			ofSubscription, proration := l.Type == stripe.InvoiceLineItemTypeSubscription, l.Proration
			if basil.Lines != nil && i < len(basil.Lines.Data) {
				if p := basil.Lines.Data[i].Parent; p != nil && p.Type == "subscription_item_details" {
					ofSubscription = true
					proration = proration || (p.SubscriptionItemDetails != nil && p.SubscriptionItemDetails.Proration)
				}
			}
			f.ofSubscription = f.ofSubscription || ofSubscription
			if !ofSubscription || proration || l.Period == nil {
				continue
			}
			start, end := unix(l.Period.Start), unix(l.Period.End)
			if start.After(f.CycleStart) {
				f.CycleStart, f.CycleEnd = start, end
			}
		}
	}
	switch inv.BillingReason {
	case stripe.InvoiceBillingReasonSubscriptionCreate, stripe.InvoiceBillingReasonSubscriptionCycle:
		f.Opens = !f.CycleStart.IsZero()
	}
	return f
}

// invoiceChange is what applying an invoice event did.
type invoiceChange struct {
	applied    bool
	cycleReset bool
	skipped    string
}

// applyInvoicePaid records a paid invoice, using the invoice's own dates so that order of
// delivery does not matter:
//   - an invoice that opens a billing period later than the current cycle starts a new cycle:
//     usage is reset and the subscription's period moves forward (never back);
//   - a payment made after the subscription fell past due (event created at or after
//     PastDueSince) ends the past-due state; an older payment, delivered late, does not.
func applyInvoicePaid(u *launchpad.User, inv invoiceFacts, evCreated time.Time) invoiceChange {
	var ch invoiceChange
	sub := &u.Subscription
	if inv.Opens && inv.CycleStart.After(u.Usage.CycleStart) {
		u.Usage = u.Usage.NewCycle(inv.CycleStart, inv.CycleEnd)
		if inv.CycleStart.After(sub.CurrentPeriodStart) {
			sub.CurrentPeriodStart, sub.CurrentPeriodEnd = inv.CycleStart, inv.CycleEnd
		}
		ch.applied, ch.cycleReset = true, true
	}
	if !sub.PastDueSince.IsZero() && !evCreated.Before(sub.PastDueSince) {
		sub.PastDueSince = time.Time{}
		if sub.Status == launchpad.StatusPastDue || sub.Status == launchpad.StatusUnpaid {
			sub.Status = launchpad.StatusActive
		}
		ch.applied = true
	}
	if !ch.applied {
		ch.skipped = "it neither opens a newer billing period nor settles a later failed payment"
	}
	return ch
}

// applyPaymentFailed records a failed payment: the subscription is past due from the event's
// time, unless the failure is for a billing period that has since been paid (a late delivery)
// or the subscription has ended.
func applyPaymentFailed(u *launchpad.User, inv invoiceFacts, evCreated time.Time) invoiceChange {
	var ch invoiceChange
	sub := &u.Subscription
	switch {
	case launchpad.SubscriptionEnded(sub.Status):
		ch.skipped = "the subscription has ended"
	case inv.Opens && !inv.CycleStart.After(u.Usage.CycleStart):
		ch.skipped = "the billing period it is for has been paid since"
	case !sub.PastDueSince.IsZero():
		ch.skipped = "the subscription is already past due"
	case !sub.Newer(evCreated):
		ch.skipped = "older than the event that last changed the subscription"
	default:
		sub.PastDueSince = evCreated
		if sub.Status != launchpad.StatusUnpaid {
			sub.Status = launchpad.StatusPastDue
		}
		ch.applied = true
	}
	return ch
}
