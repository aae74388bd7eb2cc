package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// configured is embedded by every resource: it names the resource type, and its Configure
// keeps what the provider hands over, which the CRUD methods reach as data.
type configured struct {
	name string // the type name after the provider's: "plan" is launchpad_plan
	data *providerData
}

func (c *configured) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + c.name
}

func (c *configured) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	c.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// configuredSource is configured for data sources.
type configuredSource struct {
	name string
	data *providerData
}

func (c *configuredSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + c.name
}

func (c *configuredSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	c.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// providerDataFrom is the Configure step shared by every resource and data source: it checks
// the type of what the provider handed over.
func providerDataFrom(in any, diags *diag.Diagnostics) *providerData {
	if in == nil {
		return nil // the provider is not configured yet (validation runs before Configure)
	}
	d, ok := in.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", in))
		return nil
	}
	return d
}

// modelSource is where a call reads its model: the request's plan, state or configuration.
type modelSource interface {
	Get(context.Context, any) diag.Diagnostics
}

// readWithStore reads a call's model from src into m and opens the store; nil, with the
// reasons in diags, when either fails.
func (d *providerData) readWithStore(ctx context.Context, src modelSource, m any, diags *diag.Diagnostics) launchpad.Store {
	diags.Append(src.Get(ctx, m)...)
	if diags.HasError() {
		return nil
	}
	st, ds := d.Store(ctx)
	diags.Append(ds...)
	if diags.HasError() {
		return nil
	}
	return st
}

// gone reports whether err says the object a Read looked for no longer exists; it then warns
// and drops the resource from state, so the next plan recreates it.
func gone(ctx context.Context, err error, state *tfsdk.State, diags *diag.Diagnostics, kind, id string) bool {
	if !launchpad.IsNotFound(err) {
		return false
	}
	diags.AddWarning(fmt.Sprintf("%s not found", kind),
		fmt.Sprintf("%s %q no longer exists (deleted outside Terraform?); it was removed from state and will be created again on the next apply.", kind, id))
	state.RemoveResource(ctx)
	return true
}

// timeoutOf names which operation's configured timeout applies: one of timeouts.Value's
// Create, Read, Update or Delete methods, as a method expression (timeouts.Value.Read).
type timeoutOf func(timeouts.Value, context.Context, time.Duration) (time.Duration, diag.Diagnostics)

// begin reads a CRUD call's model from src into m and bounds ctx by the call's configured
// timeout (or dflt); t is m's timeouts attribute, read once m is. ok is false, with the
// reasons in diags (also those appended before the call), when either fails; cancel is then a
// no-op.
func begin(ctx context.Context, src modelSource, m any, t *timeouts.Value, of timeoutOf, dflt time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc, bool) {
	diags.Append(src.Get(ctx, m)...)
	if diags.HasError() {
		return ctx, func() {}, false
	}
	d, ds := of(*t, ctx, dflt)
	diags.Append(ds...)
	if diags.HasError() {
		return ctx, func() {}, false
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, true
}

// anyUnknown reports whether any of vs is known only after apply.
func anyUnknown(vs ...attr.Value) bool {
	for _, v := range vs {
		if v.IsUnknown() {
			return true
		}
	}
	return false
}
