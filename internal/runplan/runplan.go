// Package runplan is what one Terraform run plans through the provider, shared by its
// resources' plan-time checks. Terraform configures a provider afresh for each run (each plan
// or apply walk), and plans a resource only after everything it references: so when a sub-key
// or tenant references launchpad_plan.<name>.name, that plan has already been recorded here as
// it will be after this apply — and the apply updates the plan before it. That is how one
// apply converges a plan edit: the dependants see the planned limit, size and volume (not the
// stored ones) and plan their own update with it, and the apply reads the updated plan from
// the store when it reaches them.
//
// It also catches, at plan time, what two resources of one configuration would collide on:
// two sub-keys or two tenants (of one product) for one user, two plans with one Stripe price.
package runplan

import (
	"sync"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Run is one Terraform run's record. Its methods are safe for concurrent use: Terraform plans
// independent resources in parallel.
type Run struct {
	mu      sync.Mutex
	plans   map[string]*launchpad.Plan // by plan name; nil while some value is unknown
	keys    map[string]bool            // user ids of sub-keys this run creates
	tenants map[string]bool            // user id + "/" + product of tenants this run creates
	prices  map[string]string          // Stripe price → the plan this run gives it
	// replaced are the tenants this run replaces, by user id + "/" + product: their app
	// until the replacement's destroy runs.
	replaced map[string]string
}

// New returns an empty record.
func New() *Run {
	return &Run{plans: map[string]*launchpad.Plan{}, keys: map[string]bool{}, tenants: map[string]bool{},
		prices: map[string]string{}, replaced: map[string]string{}}
}

// RecordPlan notes what plan name will be after this run (nil: not known until apply).
func (r *Run) RecordPlan(name string, p *launchpad.Plan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plans[name] = p
}

// Plan returns what this run plans for plan name (nil while unknown), and whether this run
// plans it at all.
func (r *Run) Plan(name string) (p *launchpad.Plan, planned bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, planned = r.plans[name]
	return p, planned
}

// ClaimKey records that this run creates a sub-key for user, reporting false when another
// resource of the run already does.
func (r *Run) ClaimKey(user string) bool { return r.claim(r.keys, user) }

// ClaimTenant records that this run creates user's tenant of product, reporting false when
// another resource of the run already does.
func (r *Run) ClaimTenant(user, product string) bool { return r.claim(r.tenants, user+"/"+product) }

func (r *Run) claim(set map[string]bool, key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if set[key] {
		return false
	}
	set[key] = true
	return true
}

// RecordReplaced notes that this run replaces the tenant of user and product now in app:
// Terraform plans the replacement's create next, and that tenant is destroyed before it.
func (r *Run) RecordReplaced(user, product, app string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replaced[user+"/"+product] = app
}

// IsReplaced reports whether this run replaces the tenant of user and product in app.
func (r *Run) IsReplaced(user, product, app string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.replaced[user+"/"+product] == app
}

// ClaimPrice records that plan name gets Stripe price, returning the other plan of this run
// that gets it too, or "".
func (r *Run) ClaimPrice(price, name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if other, ok := r.prices[price]; ok && other != name {
		return other
	}
	r.prices[price] = name
	return ""
}

// PlanLookupError explains a plan that a resource names but the store does not hold, nor
// this run plan.
func PlanLookupError(err error, name string) error {
	if launchpad.IsNotFound(err) {
		return launchpad.Errorf(launchpad.EINVALID, "plan %q does not exist in the Launchpad store, and this configuration does not "+
			"plan it. Create it with a launchpad_plan resource and set plan = launchpad_plan.<name>.name: Terraform then plans and "+
			"creates the plan first (a plan name typed as a string is not ordered after it), or fix the name.", name)
	}
	return err
}
