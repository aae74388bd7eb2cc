package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/runplan"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// subKeys is the sub-key lifecycle (peers.Peers.SubKeys); nil, with the reasons in diags, when
// what it needs is not configured.
func (d *providerData) subKeys(ctx context.Context, diags *diag.Diagnostics, withKeyring bool, rt launchpad.Runtime) *subkey.Service {
	svc, problems := d.peers.SubKeys(ctx, withKeyring, rt)
	diags.Append(problemDiags(problems)...)
	return svc
}

// wantedPlan reads the plan a resource's plan attribute names; a plan that does not exist is
// reported on that attribute.
func (d *providerData) wantedPlan(ctx context.Context, name string, diags *diag.Diagnostics) *launchpad.Plan {
	st, ds := d.Store(ctx)
	diags.Append(ds...)
	if ds.HasError() {
		return nil
	}
	p, err := st.GetPlan(ctx, name)
	if err != nil {
		addAttributeError(diags, path.Root("plan"), "Unknown plan", runplan.PlanLookupError(err, name))
		return nil
	}
	return p
}

// plannedPlanOf returns the plan a sub-key or tenant names, as it will be when this apply
// reaches the dependant: the planned launchpad_plan of this run if there is one (nil, with
// pending true, while its values are unknown), else the stored plan. A plan that neither
// exists nor is planned here is an error on the "plan" attribute, at plan time.
func (d *providerData) plannedPlanOf(ctx context.Context, diags *diag.Diagnostics, name types.String) (p *launchpad.Plan, pending bool) {
	if name.IsUnknown() {
		return nil, true
	}
	if planned, ok := d.run.Plan(name.ValueString()); ok {
		return planned, planned == nil
	}
	p = d.wantedPlan(ctx, name.ValueString(), diags)
	return p, p == nil
}

// notPlannedTwice reports a second resource of this run for the same user (and product).
func notPlannedTwice(diags *diag.Diagnostics, ok bool, attr path.Path, what string) {
	if !ok {
		diags.AddAttributeError(attr, fmt.Sprintf("Two %s for one user", what),
			fmt.Sprintf("Another resource of this configuration creates %s for the same user; a user has one. "+
				"Remove one of them, or move the user's existing one with a moved block.", what))
	}
}
