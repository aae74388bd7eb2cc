package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// runPlan is what one Terraform run plans through this provider, shared by its resources'
// ModifyPlan. Terraform configures a provider afresh for each run (each plan or apply walk),
// and plans a resource only after everything it references: so when a sub-key or tenant
// references launchpad_plan.<name>.name, that plan's ModifyPlan has already recorded here
// what the plan will be after this apply — and the apply updates the plan before it. That is
// how one apply converges a plan edit: the dependants see the planned limit, size and volume
// (not the stored ones) and plan their own update with it, and the apply reads the updated
// plan from the store when it reaches them.
//
// It also catches, at plan time, what two resources of one configuration would collide on:
// two sub-keys or two tenants (of one product) for one user, two plans with one Stripe price.
type runPlan struct {
	mu      sync.Mutex
	plans   map[string]*plannedPlan // by plan name
	keys    map[string]bool         // user ids of sub-keys this run creates
	tenants map[string]bool         // user id + "/" + product of tenants this run creates
	prices  map[string]string       // Stripe price → the plan this run gives it
	// replaced are the tenants this run replaces, by user id + "/" + product: their app
	// until the replacement's destroy runs.
	replaced map[string]string
}

// plannedPlan is a launchpad_plan as this run will leave it: Plan is nil while some value of
// it is only known after apply.
type plannedPlan struct {
	plan *launchpad.Plan
}

func newRunPlan() *runPlan {
	return &runPlan{plans: map[string]*plannedPlan{}, keys: map[string]bool{}, tenants: map[string]bool{},
		prices: map[string]string{}, replaced: map[string]string{}}
}

// recordPlan notes what launchpad_plan name will be after this run (nil: not known yet).
func (r *runPlan) recordPlan(name string, p *launchpad.Plan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plans[name] = &plannedPlan{plan: p}
}

// plan returns what this run plans for plan name, and whether it plans it at all.
func (r *runPlan) plan(name string) (*plannedPlan, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.plans[name]
	return p, ok
}

// claim records key in set, reporting false when another resource of this run has it.
func (r *runPlan) claim(set map[string]bool, key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if set[key] {
		return false
	}
	set[key] = true
	return true
}

// recordReplaced notes that this run replaces the tenant of user and product now in app:
// Terraform plans the replacement's create next, and that tenant is destroyed before it.
func (r *runPlan) recordReplaced(user, product, app string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replaced[user+"/"+product] = app
}

// isReplaced reports whether this run replaces the tenant of user and product in app.
func (r *runPlan) isReplaced(user, product, app string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.replaced[user+"/"+product] == app
}

// claimPrice records that plan name gets price, returning the other plan of this run that
// gets it too, or "".
func (r *runPlan) claimPrice(price, name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if other, ok := r.prices[price]; ok && other != name {
		return other
	}
	r.prices[price] = name
	return ""
}

// plannedPlanOf returns the plan a sub-key or tenant names, as it will be when this apply
// reaches the dependant: the planned launchpad_plan of this run if there is one (nil, with
// pending true, while its values are unknown), else the stored plan. A plan that neither
// exists nor is planned here is an error on the "plan" attribute, at plan time.
func (d *providerData) plannedPlanOf(ctx context.Context, diags *diag.Diagnostics, name types.String) (p *launchpad.Plan, pending bool) {
	if name.IsUnknown() {
		return nil, true
	}
	if planned, ok := d.run.plan(name.ValueString()); ok {
		return planned.plan, planned.plan == nil
	}
	st, ds := d.Store(ctx)
	diags.Append(ds...)
	if ds.HasError() {
		return nil, true
	}
	p, err := st.GetPlan(ctx, name.ValueString())
	if err != nil {
		addAttributeError(diags, path.Root("plan"), "Unknown plan", planLookupError(err, name.ValueString()))
		return nil, true
	}
	return p, false
}

// notPlannedTwice reports a second resource of this run for the same user (and product).
func notPlannedTwice(diags *diag.Diagnostics, ok bool, attr path.Path, what string) {
	if !ok {
		diags.AddAttributeError(attr, fmt.Sprintf("Two %s for one user", what),
			fmt.Sprintf("Another resource of this configuration creates %s for the same user; a user has one. "+
				"Remove one of them, or move the user's existing one with a moved block.", what))
	}
}
