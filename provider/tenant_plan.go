package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// ModifyPlan is where a tenant's plan tells the truth and fails early.
//
//   - A destroy, or a replacement (user, product or region changed), is refused while
//     deletion_protection is on, and otherwise warns what happens to /workspace.
//   - A create (or the create half of a replacement) checks, before anything is deleted or
//     made, everything the apply would trip over: the plan exists or is planned, the user has
//     no tenant of the product yet (in the store or in this configuration), subkey_hash is the
//     user's key, and the key to deliver opens with the configured platform secret.
//   - An update compares what Read found at Fly with what the configuration and the plan (as
//     this apply leaves it) ask for, and marks unknown only what will really change: a deleted
//     machine or volume, a lost IP or secret, a key source that moved. The machine's size and
//     state and the volume's size are shown as they will be when they are known.
func (r *tenantResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil {
		return // validation before Configure
	}
	if req.Plan.Raw.IsNull() {
		r.planDestroy(ctx, req, resp)
		return
	}
	var plan tenantResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		r.planCreate(ctx, req, &plan, resp)
		return
	}
	var state tenantResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for _, c := range []struct {
		attr          string
		planned, then types.String
	}{{"user_id", plan.UserID, state.UserID}, {"product", plan.Product, state.Product}, {"region", plan.Region, state.Region}} {
		if !c.planned.Equal(c.then) {
			// Replaced: Terraform plans the new tenant as a create next, and destroys this one
			// before it creates that.
			r.data.run.RecordReplaced(state.UserID.ValueString(), state.Product.ValueString(), state.AppName.ValueString())
			r.planReplace(&resp.Diagnostics, &state, c.attr)
			return
		}
	}
	r.planUpdate(ctx, &plan, &state, resp)
}

// planDestroy refuses a protected tenant's destroy and says what happens to its workspace.
func (r *tenantResource) planDestroy(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var state tenantResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	app := state.AppName.ValueString()
	if state.DeletionProtection.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("deletion_protection"), "Tenant is protected from deletion",
			fmt.Sprintf("Tenant %s of user %s has deletion_protection = true, so it is not destroyed. To destroy it, set "+
				"deletion_protection = false and apply, then destroy.", app, state.UserID.ValueString()))
		return
	}
	resp.Diagnostics.AddWarning("Tenant workspace "+tenant.WorkspaceFate(state.WorkspaceRetentionDays.ValueInt64()),
		tenant.WorkspaceFateDetail("Destroying", app, state.VolumeID.ValueString(), state.WorkspaceRetentionDays.ValueInt64()))
}

// planReplace refuses a protected tenant's replacement and warns what the replacement does to
// its workspace, on the attribute whose change causes it.
func (r *tenantResource) planReplace(diags *diag.Diagnostics, state *tenantResourceModel, attr string) {
	what := fmt.Sprintf("Changing %s replaces tenant %s: the new tenant is created in a new app", attr, state.AppName.ValueString())
	if state.DeletionProtection.ValueBool() {
		diags.AddAttributeError(path.Root(attr), "Tenant is protected from deletion",
			what+", and the old one destroyed with its machine and its /workspace volume "+state.VolumeID.ValueString()+
				"; deletion_protection = true forbids that. Revert the change, or set deletion_protection = false and apply first.")
		return
	}
	days := state.WorkspaceRetentionDays.ValueInt64()
	diags.AddAttributeWarning(path.Root(attr), "Tenant replaced: workspace "+tenant.WorkspaceFate(days),
		tenant.WorkspaceFateDetail(what+", and the old one destroyed;", state.AppName.ValueString(), state.VolumeID.ValueString(), days))
}

// planCreate checks a new tenant's preconditions and fills what is already known of it.
func (r *tenantResource) planCreate(ctx context.Context, req resource.ModifyPlanRequest, plan *tenantResourceModel, resp *resource.ModifyPlanResponse) {
	diags := &resp.Diagnostics
	want, pending := r.data.plannedPlanOf(ctx, diags, plan.Plan)
	if !plan.UserID.IsUnknown() && !plan.Product.IsUnknown() {
		user, product := plan.UserID.ValueString(), plan.Product.ValueString()
		notPlannedTwice(diags, r.data.run.ClaimTenant(user, product), path.Root("product"), product+" tenants")
		r.checkNoTenantYet(ctx, diags, user, product)
		var byok types.String
		diags.Append(req.Config.GetAttribute(ctx, path.Root("byok_key_wo"), &byok)...)
		if byok.IsNull() && !plan.SubKeyHash.IsUnknown() && want != nil {
			// The source itself stays unknown: another resource of this apply may store the
			// user's BYOK key first.
			r.checkKey(ctx, diags, user, plan.SubKeyHash.ValueString(), want)
		}
	}
	if plan.RestoreFrom != nil {
		r.checkRestore(ctx, diags, plan)
	}
	if diags.HasError() {
		return
	}
	// The machine gets the plan's size whatever a resumed create finds; its state and the
	// volume's size depend on what an interrupted create left, so they stay unknown.
	if want != nil && !pending {
		plan.MachineCPUKind, plan.MachineCPUs, plan.MachineMemoryMB = guestValues(&want.Guest)
	}
	diags.Append(resp.Plan.Set(ctx, plan)...)
}

// checkNoTenantYet refuses a second tenant of a product for a user (tenant.Service.CheckNoTenant),
// unless it is the one this run replaces: that one is destroyed first.
func (r *tenantResource) checkNoTenantYet(ctx context.Context, diags *diag.Diagnostics, user, product string) {
	if _, ds := r.data.Store(ctx); ds.HasError() {
		diags.Append(ds...)
		return
	}
	if svc, ok := r.planner(ctx, diags, false); ok {
		replaced := func(app string) bool { return r.data.run.IsReplaced(user, product, app) }
		if err := svc.CheckNoTenant(ctx, user, product, replaced); err != nil {
			addAttributeError(diags, path.Root("product"), "Tenant already exists", err)
		}
	}
}

// checkKey checks that the key a new or re-keyed tenant will run on resolves
// (subkey_hash is the user's sub-key, or the plan allows the pooled key if that is what is
// left) and opens with the configured platform secret.
func (r *tenantResource) checkKey(ctx context.Context, diags *diag.Diagnostics, user, subKeyHash string, plan *launchpad.Plan) {
	svc, ok := r.planner(ctx, diags, true)
	if !ok {
		return
	}
	source, err := svc.KeySource(ctx, user, subKeyHash, plan)
	if err != nil {
		addAttributeError(diags, path.Root("subkey_hash"), "No model key for the tenant", err)
		return
	}
	if err := svc.CheckKeyOpens(ctx, user, source); err != nil {
		addAttributeError(diags, path.Root("subkey_hash"), "Stored key does not open", err)
	}
}

// checkRestore checks restore_from before anything is made (tenant.Service.CheckRestoreTarget).
func (r *tenantResource) checkRestore(ctx context.Context, diags *diag.Diagnostics, plan *tenantResourceModel) {
	from := plan.RestoreFrom
	if anyUnknown(from.AppName, plan.UserID, plan.Product) {
		return
	}
	if svc, ok := r.planner(ctx, diags, false); ok {
		if err := svc.CheckRestoreTarget(ctx, from.AppName.ValueString(), plan.UserID.ValueString(), plan.Product.ValueString()); err != nil {
			addAttributeError(diags, path.Root("restore_from").AtName("app_name"), "Cannot restore that workspace", err)
		}
	}
}

// planner is the tenant service a plan-time check uses (peers.Peers.Planner): the store, Fly
// when it is configured, and, withKeyring, the keyring (whose absence is an error, as it
// would be at apply time).
func (r *tenantResource) planner(ctx context.Context, diags *diag.Diagnostics, withKeyring bool) (*tenant.Service, bool) {
	svc, problems := r.data.peers.Planner(ctx, withKeyring)
	diags.Append(problemDiags(problems)...)
	return svc, svc != nil
}

// planUpdate plans an in-place update (see ModifyPlan).
func (r *tenantResource) planUpdate(ctx context.Context, plan, state *tenantResourceModel, resp *resource.ModifyPlanResponse) {
	diags := &resp.Diagnostics
	want, pending := r.data.plannedPlanOf(ctx, diags, plan.Plan)
	planner, ok := r.planner(ctx, diags, false)
	if !ok || diags.HasError() {
		return
	}
	wanted := wantedFromModel(plan)
	wanted.Pending.Plan = wanted.Pending.Plan || pending
	d := planner.Drift(ctx, boundaryFromModel(state), settingsFromModel(state), wanted, want)
	// A key the apply delivers again must resolve and open now, not half-way through it.
	if d.Secret && want != nil && !wanted.Pending.SubKeyHash && !wanted.Pending.BYOKKeyVersion && plan.BYOKKeyWOVersion.Equal(state.BYOKKeyWOVersion) {
		r.checkKey(ctx, diags, plan.UserID.ValueString(), plan.SubKeyHash.ValueString(), want)
		if diags.HasError() {
			return
		}
	}

	if !plan.ResetGeneration.Equal(state.ResetGeneration) {
		diags.AddAttributeWarning(path.Root("reset_generation"), "Tenant workspace will be replaced by an empty one",
			tenant.ResetNotice(state.AppName.ValueString(), state.VolumeID.ValueString(), state.WorkspaceRetentionDays.ValueInt64()))
	}
	unknownIf(d.Machine, &plan.MachineID)
	unknownIf(d.Volume, &plan.VolumeID)
	unknownIf(d.IPv4, &plan.IPv4)
	unknownIf(d.IPv6, &plan.IPv6)
	// The sizes and the machine's state as the update leaves them.
	o := tenant.Expect(d, boundaryFromModel(state), want)
	plan.MachineCPUKind, plan.MachineCPUs, plan.MachineMemoryMB = guestValues(o.Guest)
	plan.VolumeSizeGB, plan.MachineState = types.Int64Unknown(), types.StringUnknown()
	if o.VolumeSizeGB != nil {
		plan.VolumeSizeGB = types.Int64Value(int64(*o.VolumeSizeGB))
	}
	if o.MachineState != nil {
		plan.MachineState = types.StringValue(string(*o.MachineState))
	}
	if d.Secret {
		// Unknown: the digest is Fly's, and another resource of this apply may store the
		// user's BYOK key before this one resolves its key.
		plan.SecretDigest, plan.KeySource = types.StringUnknown(), types.StringUnknown()
	}
	diags.Append(resp.Plan.Set(ctx, plan)...)
}

// unknownIf marks v known only after apply when the apply replaces what it names.
func unknownIf(replaced bool, v *types.String) {
	if replaced {
		*v = types.StringUnknown()
	}
}

// guestValues are a machine size's attributes, unknown when g is nil.
func guestValues(g *launchpad.Guest) (types.String, types.Int64, types.Int64) {
	if g == nil {
		return types.StringUnknown(), types.Int64Unknown(), types.Int64Unknown()
	}
	return types.StringValue(g.CPUKind), types.Int64Value(int64(g.CPUs)), types.Int64Value(int64(g.MemoryMB))
}
