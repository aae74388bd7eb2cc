package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

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
		Org: d.settings.flyOrg, PooledKey: d.settings.pooledKey, Now: d.now,
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
	if diags.HasError() {
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
