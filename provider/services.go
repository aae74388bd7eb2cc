package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// tenants is the tenant lifecycle on the store and Fly, with the keyring when the operation
// seals or opens keys; nil, with the reasons in diags, when one of them is not configured.
func (d *providerData) tenants(ctx context.Context, diags *diag.Diagnostics, withKeyring bool) *tenant.Service {
	st, kr := d.storeAndKeyring(ctx, diags, withKeyring, tenantType)
	rt, ds := d.Runtime(ctx, tenantType)
	diags.Append(ds...)
	if diags.HasError() {
		return nil
	}
	return tenant.NewService(tenant.Config{
		Store: st, Runtime: rt, Keyring: kr,
		Org: d.peers.Settings.FlyOrg, PooledKey: d.peers.Settings.PooledKey, Now: d.now,
	})
}

// subKeys is the sub-key lifecycle on the store and OpenRouter, with the keyring when the
// operation seals or opens keys and with rt (nil when Fly is not configured) when a rotation
// delivers the new key to tenants; nil, with the reasons in diags, when one of them is not
// configured.
func (d *providerData) subKeys(ctx context.Context, diags *diag.Diagnostics, withKeyring bool, rt launchpad.Runtime) *subkey.Service {
	st, kr := d.storeAndKeyring(ctx, diags, withKeyring, subKeyType)
	issuer, ds := d.KeyIssuer(subKeyType)
	diags.Append(ds...)
	if diags.HasError() {
		return nil
	}
	return subkey.NewService(subkey.Config{Store: st, Issuer: issuer, Keyring: kr, Runtime: rt})
}

// storeAndKeyring opens the store, and the keyring if asked, for resourceType; what is not
// configured is reported in diags.
func (d *providerData) storeAndKeyring(ctx context.Context, diags *diag.Diagnostics, withKeyring bool, resourceType string) (launchpad.Store, *envelope.Keyring) {
	st, ds := d.Store(ctx)
	diags.Append(ds...)
	if !withKeyring {
		return st, nil
	}
	kr, ds := d.Keyring(resourceType)
	diags.Append(ds...)
	return st, kr
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
		addAttributeError(diags, path.Root("plan"), "Unknown plan", planLookupError(err, name))
		return nil
	}
	return p
}

// planLookupError explains a plan that a resource names but the store does not hold.
func planLookupError(err error, name string) error {
	if launchpad.IsNotFound(err) {
		return launchpad.Errorf(launchpad.EINVALID, "plan %q does not exist in the Launchpad store, and this configuration does not "+
			"plan it. Create it with a launchpad_plan resource and set plan = launchpad_plan.<name>.name: Terraform then plans and "+
			"creates the plan first (a plan name typed as a string is not ordered after it), or fix the name.", name)
	}
	return err
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
