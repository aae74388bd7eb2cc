package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// planDoc is a launchpad_plan record (launchpad_plans/{name}).
type planDoc struct {
	Name                 string     `firestore:"name"`
	DisplayName          string     `firestore:"displayName"`
	StripePriceID        string     `firestore:"stripePriceId"`
	MonthlySpendLimitUSD float64    `firestore:"monthlySpendLimitUsd"`
	MachineHoursPerCycle int64      `firestore:"machineHoursPerCycle"`
	Guest                guestDoc   `firestore:"guest"`
	VolumeSizeGB         int64      `firestore:"volumeSizeGb"`
	AllowPooledKey       bool       `firestore:"allowPooledKey"`
	CreatedAt            *time.Time `firestore:"createdAt"`
	UpdatedAt            *time.Time `firestore:"updatedAt"`
}

type guestDoc struct {
	CPUKind  string `firestore:"cpuKind"`
	CPUs     int64  `firestore:"cpus"`
	MemoryMB int64  `firestore:"memoryMb"`
}

// priceDoc reserves a Stripe price for one plan (launchpad_plan_stripe_prices/{priceId}).
type priceDoc struct {
	PriceID string `firestore:"priceId"`
	Plan    string `firestore:"plan"`
}

var planKind = recordKind[launchpad.Plan, planDoc]{
	what: "plan", keyName: "Name",
	col: func(s *Store) string { return s.col.plans },
	key: func(p *launchpad.Plan) string { return p.Name },
	encode: func(p *launchpad.Plan) *planDoc {
		return &planDoc{
			Name: p.Name, DisplayName: p.DisplayName, StripePriceID: p.StripePriceID,
			MonthlySpendLimitUSD: p.MonthlySpendLimitUSD, MachineHoursPerCycle: int64(p.MachineHoursPerCycle),
			Guest:        guestDoc{CPUKind: p.Guest.CPUKind, CPUs: int64(p.Guest.CPUs), MemoryMB: int64(p.Guest.MemoryMB)},
			VolumeSizeGB: int64(p.VolumeSizeGB), AllowPooledKey: p.AllowPooledKey,
			CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt),
		}
	},
	decode: func(d *planDoc) *launchpad.Plan {
		return &launchpad.Plan{
			Name: d.Name, DisplayName: d.DisplayName, StripePriceID: d.StripePriceID,
			MonthlySpendLimitUSD: d.MonthlySpendLimitUSD, MachineHoursPerCycle: int(d.MachineHoursPerCycle),
			Guest:        launchpad.Guest{CPUKind: d.Guest.CPUKind, CPUs: int(d.Guest.CPUs), MemoryMB: int(d.Guest.MemoryMB)},
			VolumeSizeGB: int(d.VolumeSizeGB), AllowPooledKey: d.AllowPooledKey,
			CreatedAt: fromTS(d.CreatedAt), UpdatedAt: fromTS(d.UpdatedAt),
		}
	},
	times: func(p *launchpad.Plan) (*time.Time, *time.Time) { return &p.CreatedAt, &p.UpdatedAt },
}

func (s *Store) priceRef(priceID string) *firestore.DocumentRef {
	return s.doc(s.col.planPrices, priceID)
}

// priceReservation keeps each Stripe price to one plan.
var priceReservation = reservation{
	ref: (*Store).priceRef,
	doc: func(priceID, name string) any { return &priceDoc{PriceID: priceID, Plan: name} },
	taken: func(priceID string) error {
		return contract.PriceTaken(launchpad.Clip(priceID, 200))
	},
}

// CreatePlan stores a new plan and reserves its Stripe price in one commit. ECONFLICT if the
// name or a non-empty StripePriceID is taken.
func (s *Store) CreatePlan(ctx context.Context, p *launchpad.Plan) error {
	c := planKind.stamped(s, p)
	return priceReservation.create(ctx, s, "plan", c.Name, c.StripePriceID, planKind.ref(s, c.Name), planKind.encode(c))
}

// GetPlan returns the plan with name, or ENOTFOUND.
func (s *Store) GetPlan(ctx context.Context, name string) (*launchpad.Plan, error) {
	return getRecord(ctx, s, planKind, name)
}

// GetPlanByStripePrice returns the plan that reserved priceID, or ENOTFOUND.
func (s *Store) GetPlanByStripePrice(ctx context.Context, priceID string) (*launchpad.Plan, error) {
	missing := contract.NoPlanWithPrice(launchpad.Clip(priceID, 200))
	if priceID == "" {
		return nil, missing
	}
	snap, err := s.get(ctx, s.priceRef(priceID))
	if err != nil {
		return nil, storeError(err, "find plan by Stripe price")
	}
	if !snap.Exists() {
		return nil, missing
	}
	var d priceDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, storeError(err, "decode price reservation")
	}
	p, err := s.GetPlan(ctx, d.Plan)
	switch {
	case launchpad.IsNotFound(err):
		return nil, missing
	case err != nil:
		return nil, err
	case p.StripePriceID != priceID:
		return nil, missing
	}
	return p, nil
}

// ListPlans returns every plan ordered by name.
func (s *Store) ListPlans(ctx context.Context) ([]*launchpad.Plan, error) {
	return listRecords(ctx, s, planKind, s.client.Collection(s.col.plans).OrderBy("name", firestore.Asc))
}

// UpdatePlan applies fn to the stored plan atomically, moving the Stripe price reservation in
// the same commit. EINVALID if fn changes Name; ECONFLICT if the new price belongs to another
// plan.
func (s *Store) UpdatePlan(ctx context.Context, name string, fn func(*launchpad.Plan) error) (*launchpad.Plan, error) {
	var out *launchpad.Plan
	err := s.atomically(ctx, "update plan", func(b *batch) error {
		snap, p, err := planKind.load(ctx, s, name)
		if err != nil {
			return err
		}
		oldPrice := p.StripePriceID
		if err := fn(p); err != nil {
			return err
		}
		if p.Name != name {
			return keyChanged("plan", name, "Name", p.Name)
		}
		p.UpdatedAt = s.clock()
		if err := priceReservation.move(ctx, s, b, name, oldPrice, p.StripePriceID); err != nil {
			return err
		}
		doc := planKind.encode(p)
		b.put(snap, doc)
		out = planKind.decode(doc)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePlan removes the plan and frees its Stripe price, or returns ENOTFOUND.
func (s *Store) DeletePlan(ctx context.Context, name string) error {
	return s.atomically(ctx, "delete plan", func(b *batch) error {
		snap, p, err := planKind.load(ctx, s, name)
		if err != nil {
			return err
		}
		b.remove(snap)
		if p.StripePriceID != "" {
			b.delete(s.priceRef(p.StripePriceID))
		}
		return nil
	})
}
