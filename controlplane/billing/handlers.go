package billing

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// errNoChange ends an UpdateUser function that decided to write nothing.
var errNoChange = errors.New("billing: nothing to change")

// subscriptionChanged handles customer.subscription.*: the user linked to the customer gets
// the subscription's state (fetched from Stripe when configured) unless it is older than what
// is stored; a plan change is audited and applied.
func (p *Processor) subscriptionChanged(ctx context.Context, log *slog.Logger, ev stripe.Event, created time.Time) error {
	fromEvent, err := readSubscription(ev.Data.Raw, false)
	if err != nil {
		return err
	}
	snap, err := p.fetchSnapshot(ctx, fromEvent.ID, &fromEvent)
	if err != nil {
		return err
	}
	// Who the event is about comes from the signed event; what the subscription is like
	// comes from the snapshot (a fresh fetch, when configured).
	customer := eventCustomer(ev.Data.Raw)
	if customer == "" {
		customer = snap.Customer
	}
	snap.Customer = customer
	u, err := p.userForCustomer(ctx, customer, fromEvent.Metadata)
	if err != nil {
		return err
	}
	return p.applySnapshot(ctx, log, u.ID, snap, nil, created, ev.ID)
}

// invoiceEvent handles invoice.paid and invoice.payment_failed for subscription invoices. A
// one-off invoice (no subscription's, by every sign the invoice gives) is nothing to do; a
// subscription's invoice that does not say which subscription is unreadable (readInvoice).
func (p *Processor) invoiceEvent(ctx context.Context, log *slog.Logger, ev stripe.Event, created time.Time) error {
	facts, err := readInvoice(ev.Data.Raw)
	if err != nil {
		return err
	}
	if facts.Subscription == "" {
		log.Info("invoice of no subscription; nothing to do", "invoice", facts.ID)
		return nil
	}
	u, err := p.userForCustomer(ctx, facts.Customer, nil)
	if err != nil {
		return err
	}
	var snap *subSnapshot
	if p.cfg.Stripe != nil {
		if snap, err = p.fetchSnapshot(ctx, facts.Subscription, nil); err != nil {
			return err
		}
		snap.Customer = facts.Customer
	}
	return p.applySnapshot(ctx, log, u.ID, snap, &invoiceEventFacts{facts: facts, paid: string(ev.Type) == EventInvoicePaid}, created, ev.ID)
}

// invoiceEventFacts is an invoice event to apply after the subscription snapshot.
type invoiceEventFacts struct {
	facts invoiceFacts
	paid  bool
}

// applySnapshot applies a subscription snapshot (if any) and an invoice event (if any) to
// the user in one UpdateUser, then writes the audit entries and makes the queue hold the
// user's desired state. An unknown price is audited and reported as a permanent error after
// everything else about the event has been applied.
func (p *Processor) applySnapshot(ctx context.Context, log *slog.Logger, userID string, snap *subSnapshot, inv *invoiceEventFacts, created time.Time, eventID string) error {
	var plan *launchpad.Plan
	if snap != nil {
		var err error
		if plan, err = p.planForPrice(ctx, snap.PriceID); err != nil {
			return err
		}
		if _, rejected := validOverrides(snap.Metadata); len(rejected) > 0 {
			log.Warn("ignoring invalid tenant overrides in the subscription's metadata", "keys", rejected)
		}
	}
	var sc subChange
	var ic invoiceChange
	var before lifecycleOf
	u, err := p.cfg.Store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		sc, ic = subChange{fromPlan: u.Plan, toPlan: u.Plan}, invoiceChange{}
		before = lifecycle(u)
		if snap != nil {
			sc = applySubscription(u, *snap, plan, created)
		}
		if inv != nil {
			if inv.paid {
				ic = applyInvoicePaid(u, inv.facts, created)
			} else {
				ic = applyPaymentFailed(u, inv.facts, created)
			}
		}
		if !sc.applied && !ic.applied {
			return errNoChange
		}
		if sc.rotateKey = p.cfg.RotateOnPlanChange && rotatesKey(u, sc); sc.rotateKey {
			u.Control.KeyRotationGeneration++
		}
		return nil
	})
	if errors.Is(err, errNoChange) {
		log.Info("Stripe event changes nothing; ignored", "user", userID, "subscription_reason", sc.skipped, "invoice_reason", ic.skipped)
		return nil
	}
	if err != nil {
		return err
	}
	log.Info("subscription updated", "user", u.ID, "status", u.Subscription.Status, "plan", u.Plan, "past_due_since", formatTime(u.Subscription.PastDueSince))

	var unknown error
	if snap != nil && sc.applied && plan == nil && snap.PriceID != "" {
		unknown = unknownPriceError(snap)
		p.audit(ctx, u.ID, launchpad.AuditPlanUnknown, snap.ID, map[string]string{
			"price_id": snap.PriceID, "subscription": snap.ID, "status": snap.Status, "event": eventID,
		})
	}
	if sc.applied && sc.fromPlan != sc.toPlan {
		details := map[string]string{
			"from": sc.fromPlan, "to": sc.toPlan, "subscription": snap.ID, "status": u.Subscription.Status, "event": eventID,
		}
		if sc.rotateKey {
			details["key_rotation_generation"] = strconv.FormatInt(u.Control.KeyRotationGeneration, 10)
		}
		p.audit(ctx, u.ID, launchpad.AuditPlanChanged, snap.ID, details)
	}
	if ic.cycleReset {
		p.audit(ctx, u.ID, launchpad.AuditCycleReset, inv.facts.ID, map[string]string{
			"cycle_start": formatTime(u.Usage.CycleStart), "cycle_end": formatTime(u.Usage.CycleEnd), "invoice": inv.facts.ID, "event": eventID,
		})
	}
	if err := p.ensureApply(ctx, u); err != nil {
		return err
	}
	p.mailMoves(ctx, log, u, moves(before, lifecycle(u)))
	return unknown
}

// rotatesKey reports whether a subscription change moves u from one paid plan to another
// while u has a sub-key: the change LAUNCHPAD_ROTATE_ON_PLAN_CHANGE rotates the key on. The
// first plan (the key is minted then) and the end of a subscription (the key is destroyed
// with the tenant) rotate nothing; a replayed event changes no plan, so rotates nothing.
func rotatesKey(u *launchpad.User, sc subChange) bool {
	return sc.applied && sc.fromPlan != sc.toPlan && sc.fromPlan != launchpad.TrialPlan && sc.toPlan != launchpad.TrialPlan &&
		u.OpenRouterKeyHash != ""
}

// checkoutCompleted handles checkout.session.completed: it links the Stripe customer to the
// user who paid and stores the session's tenant overrides (metadata product, region, image).
//
// Who paid: the user named by client_reference_id (the control plane puts the signed-in user's
// id there), else the user with the session's email, else a new user with that email — a
// payment from someone who never signed in (a payment link) still gets their tenant, and
// their first sign-in with that email finds this account.
func (p *Processor) checkoutCompleted(ctx context.Context, log *slog.Logger, ev stripe.Event, created time.Time) error {
	cs, err := readCheckout(ev.Data.Raw)
	if err != nil {
		return err
	}
	customer := ""
	if cs.Customer != nil {
		customer = cs.Customer.ID
	}
	u, err := p.checkoutUser(ctx, log, &cs, customer)
	if err != nil {
		return err
	}
	overrides, rejected := validOverrides(cs.Metadata)
	if len(rejected) > 0 {
		log.Warn("ignoring invalid tenant overrides in the checkout metadata", "keys", rejected, "session", cs.ID)
	}
	subID := ""
	if cs.Subscription != nil {
		subID = cs.Subscription.ID
	}
	u, err = p.cfg.Store.UpdateUser(ctx, u.ID, func(u *launchpad.User) error {
		sub := &u.Subscription
		if customer != "" && sub.StripeCustomerID != customer {
			if sub.StripeCustomerID != "" && (launchpad.SubscriptionRunning(sub.Status) || sub.Status == launchpad.StatusUnpaid) {
				return queue.Permanent(launchpad.Errorf(launchpad.ECONFLICT, "user %s already has a live subscription under Stripe customer %s; checkout %s (customer %s) was not linked", u.ID, sub.StripeCustomerID, cs.ID, customer))
			}
			sub.StripeCustomerID = customer
		}
		if sub.StripeSubscriptionID == "" {
			// Only when unset: a returning customer's new subscription is recorded by its own
			// events, which compare it with the old one.
			sub.StripeSubscriptionID = subID
		}
		mergeOverrides(sub, overrides)
		return nil
	})
	if err != nil {
		return err
	}
	log.Info("checkout linked", "user", u.ID, "customer", customer, "subscription", subID, "overrides", len(overrides))
	if p.cfg.Stripe != nil && subID != "" {
		// Stripe does not order deliveries: with an API key, apply the subscription now
		// instead of waiting for its own event.
		snap, err := p.fetchSnapshot(ctx, subID, nil)
		if err != nil {
			return err
		}
		snap.Customer = customer
		return p.applySnapshot(ctx, log, u.ID, snap, nil, created, ev.ID)
	}
	return p.ensureApply(ctx, u)
}

// checkoutUser finds (or creates) the user a checkout session is for; see checkoutCompleted.
func (p *Processor) checkoutUser(ctx context.Context, log *slog.Logger, cs *stripe.CheckoutSession, customer string) (*launchpad.User, error) {
	var linked *launchpad.User
	if customer != "" {
		u, err := p.cfg.Store.GetUserByStripeCustomer(ctx, customer)
		switch {
		case err == nil:
			linked = u
		case !launchpad.IsNotFound(err):
			return nil, err
		}
	}
	if ref := cs.ClientReferenceID; ref != "" {
		if launchpad.ValidateUserID(ref) != nil {
			log.Warn("checkout client_reference_id is not a user id; matching by email", "session", cs.ID)
		} else {
			u, err := p.cfg.Store.GetUser(ctx, ref)
			switch {
			case err == nil:
				if linked != nil && linked.ID != u.ID {
					return nil, queue.Permanent(launchpad.Errorf(launchpad.ECONFLICT, "checkout %s names user %s, but its Stripe customer %s belongs to user %s", cs.ID, u.ID, customer, linked.ID))
				}
				return u, nil
			case !launchpad.IsNotFound(err):
				return nil, err
			}
			log.Warn("checkout client_reference_id names no user; matching by email", "session", cs.ID)
		}
	}
	if linked != nil {
		return linked, nil
	}
	email := cs.CustomerEmail
	if cs.CustomerDetails != nil && cs.CustomerDetails.Email != "" {
		email = cs.CustomerDetails.Email
	}
	if email == "" {
		return nil, queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "checkout %s names neither a known user (client_reference_id) nor an email; link customer %s by hand", cs.ID, customer))
	}
	u, created, err := launchpad.EnsureUserByEmail(ctx, p.cfg.Store, email)
	if launchpad.ErrorCode(err) == launchpad.EINVALID {
		return nil, queue.Permanent(err)
	}
	if created {
		log.Info("user created from a checkout by someone who had not signed in", "user", u.ID, "session", cs.ID)
	}
	return u, err
}
