package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

var (
	_ resource.Resource                   = (*planResource)(nil)
	_ resource.ResourceWithConfigure      = (*planResource)(nil)
	_ resource.ResourceWithImportState    = (*planResource)(nil)
	_ resource.ResourceWithValidateConfig = (*planResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*planResource)(nil)
)

// NewPlanResource is the launchpad_plan resource.
func NewPlanResource() resource.Resource { return &planResource{configured{name: "plan"}} }

type planResource struct {
	configured
}

type planResourceModel struct {
	ID                   types.String  `tfsdk:"id"`
	Name                 types.String  `tfsdk:"name"`
	DisplayName          types.String  `tfsdk:"display_name"`
	StripePriceID        types.String  `tfsdk:"stripe_price_id"`
	MonthlySpendLimitUSD types.Float64 `tfsdk:"monthly_spend_limit_usd"`
	MachineHoursPerCycle types.Int64   `tfsdk:"machine_hours_per_cycle"`
	Guest                *guestModel   `tfsdk:"guest"`
	VolumeSizeGB         types.Int64   `tfsdk:"volume_size_gb"`
	AllowPooledKey       types.Bool    `tfsdk:"allow_pooled_key"`
}

type guestModel struct {
	CPUKind  types.String `tfsdk:"cpu_kind"`
	CPUs     types.Int64  `tfsdk:"cpus"`
	MemoryMB types.Int64  `tfsdk:"memory_mb"`
}

func (r *planResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A plan a tenant can be on: its machine size, volume size, machine-hour cap per billing cycle, " +
			"and the hard monthly spend limit of its OpenRouter sub-key. Plans live in the Launchpad store, so the " +
			"control plane maps Stripe prices to the same plans. One apply converges an edit: the `launchpad_subkey` and " +
			"`launchpad_tenant` resources that set `plan = launchpad_plan.<name>.name` are planned after the plan, with its new " +
			"limit, machine size and volume size, and updated after it in the same apply; the hour cap is read by the control " +
			"plane each time it meters, so it takes effect when the plan is written. (A plan name typed as a string, or a plan " +
			"managed in another configuration, is read from the store at plan time: its dependants follow an edit on their " +
			"next apply.)",
		Attributes: map[string]schema.Attribute{
			"id":   stableString("The plan name."),
			"name": replacingString("Slug of the plan, e.g. `pro`: 1-40 lower-case letters, digits and dashes, starting with a letter. Changing it replaces the plan.", validPlanName),
			"display_name": schema.StringAttribute{
				Optional:      true,
				Computed:      true,
				Description:   "Name shown to users. Defaults to `name`.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				Validators:    []validator.String{stringvalidator.LengthBetween(1, 80)},
			},
			"stripe_price_id": schema.StringAttribute{
				Optional:    true,
				Description: "The Stripe price (`price_…`) whose subscriptions put users on this plan. Unique across plans.",
				Validators:  []validator.String{validPriceID},
			},
			"monthly_spend_limit_usd": schema.Float64Attribute{
				Required: true,
				Description: "Hard monthly model spend cap in US dollars, enforced by OpenRouter on the tenant's sub-key " +
					"(`limit`, reset monthly). Raising it updates existing sub-keys in place.",
				Validators: []validator.Float64{float64validator.Between(0, 100000)},
			},
			"machine_hours_per_cycle": schema.Int64Attribute{
				Required:    true,
				Description: "Machine running hours per billing cycle; at the cap the control plane stops the machine until the next cycle. 0-744.",
				Validators:  []validator.Int64{int64validator.Between(0, 744)},
			},
			"guest": schema.SingleNestedAttribute{
				Required:    true,
				Description: "The tenant machine's size.",
				Attributes: map[string]schema.Attribute{
					"cpu_kind": schema.StringAttribute{
						Required:    true,
						Description: "`shared` or `performance`.",
						Validators:  []validator.String{stringvalidator.OneOf("shared", "performance")},
					},
					"cpus": schema.Int64Attribute{
						Required:    true,
						Description: "Number of CPUs: 1, 2, 4, 6 or 8 for shared; 1, 2, 4, 8 or 16 for performance.",
						Validators:  []validator.Int64{int64validator.OneOf(1, 2, 4, 6, 8, 16)},
					},
					"memory_mb": schema.Int64Attribute{
						Required:    true,
						Description: "Memory in MB, a multiple of 256 (shared: 256 to 2048 per CPU; performance: 2048 to 8192 per CPU).",
						Validators:  []validator.Int64{int64validator.AtLeast(256)},
					},
				},
			},
			"volume_size_gb": schema.Int64Attribute{
				Required:    true,
				Description: "Size of the tenant's encrypted /workspace volume in GB (1-500). A larger plan extends the volume; a smaller one never shrinks it.",
				Validators:  []validator.Int64{int64validator.Between(1, 500)},
			},
			"allow_pooled_key": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				Description: "Whether tenants on this plan may fall back to the pooled platform key, which has no " +
					"per-tenant spend cap. Defaults to false; trial tenants may always use it.",
			},
		},
	}
}

// ValidateConfig checks what no single-attribute validator can: that the guest size is one Fly
// offers, and that the name is not the reserved trial plan.
func (r *planResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m planResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.Name.ValueString() == launchpad.TrialPlan {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Reserved plan name",
			fmt.Sprintf("%q is the built-in plan of users who have not paid; choose another name.", launchpad.TrialPlan))
	}
	if !guestKnown(m.Guest) {
		return
	}
	if err := guestFromModel(m.Guest).Validate(); err != nil {
		addAttributeError(&resp.Diagnostics, path.Root("guest"), "Invalid machine size", err)
	}
}

// ModifyPlan records what the plan will be after this apply, for the sub-keys and tenants
// that reference it to plan their own update with (internal/runplan), and checks at plan time that its
// Stripe price is no other plan's. A display_name left out of the configuration is the name.
func (r *planResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or validation before Configure
	}
	var m planResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	var display types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("display_name"), &display)...)
	if resp.Diagnostics.HasError() || m.Name.IsUnknown() {
		return
	}
	name := m.Name.ValueString()
	if display.IsNull() {
		m.DisplayName = m.Name
	}
	if planKnown(&m) {
		r.data.run.RecordPlan(name, planFromModel(&m))
	} else {
		r.data.run.RecordPlan(name, nil)
	}
	if price := m.StripePriceID; !price.IsNull() && !price.IsUnknown() {
		r.checkPriceUnique(ctx, &resp.Diagnostics, name, price.ValueString())
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
}

// checkPriceUnique refuses a Stripe price that another plan holds in the store or gets in
// this same configuration.
func (r *planResource) checkPriceUnique(ctx context.Context, diags *diag.Diagnostics, name, price string) {
	if other := r.data.run.ClaimPrice(price, name); other != "" {
		diags.AddAttributeError(path.Root("stripe_price_id"), "Stripe price used twice",
			fmt.Sprintf("Plans %q and %q of this configuration both set stripe_price_id %q; a Stripe price maps to one plan: give each plan its own price.", other, name, price))
		return
	}
	st, ds := r.data.Store(ctx)
	if ds.HasError() {
		return // Create reports it
	}
	if p, err := st.GetPlanByStripePrice(ctx, price); err == nil && p.Name != name {
		diags.AddAttributeError(path.Root("stripe_price_id"), "Stripe price already used",
			fmt.Sprintf("stripe_price_id %q belongs to plan %q in the Launchpad store; a Stripe price maps to one plan. "+
				"Use another price, or first remove it from plan %q (and apply).", price, p.Name, p.Name))
	}
}

// planKnown reports whether every value of a planned plan is known.
func planKnown(m *planResourceModel) bool {
	return guestKnown(m.Guest) && !anyUnknown(m.Name, m.DisplayName, m.StripePriceID, m.MonthlySpendLimitUSD,
		m.MachineHoursPerCycle, m.VolumeSizeGB, m.AllowPooledKey)
}

// guestKnown reports whether a machine size is set and known.
func guestKnown(g *guestModel) bool {
	return g != nil && !anyUnknown(g.CPUKind, g.CPUs, g.MemoryMB)
}

// planned reads the plan a Create or Update writes, and opens the store; nil, with the
// reasons in diags, when the plan is invalid or the store cannot be opened.
func (r *planResource) planned(ctx context.Context, src modelSource, diags *diag.Diagnostics) (launchpad.Store, *launchpad.Plan) {
	var m planResourceModel
	st := r.data.readWithStore(ctx, src, &m, diags)
	if st == nil {
		return nil, nil
	}
	p := planFromModel(&m)
	if err := p.Validate(); err != nil {
		addError(diags, "Invalid plan", err)
		return nil, nil
	}
	return st, p
}

func (r *planResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	st, p := r.planned(ctx, req.Plan, &resp.Diagnostics)
	if p == nil {
		return
	}
	if err := st.CreatePlan(ctx, p); err != nil {
		if launchpad.IsConflict(err) {
			resp.Diagnostics.AddError("Plan already exists", launchpad.ErrorMessage(err)+
				fmt.Sprintf(" To manage an existing plan, import it: terraform import launchpad_plan.<name> %s", p.Name))
			return
		}
		addError(&resp.Diagnostics, "Creating plan", err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, planToModel(p))...)
}

func (r *planResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m planResourceModel
	st := r.data.readWithStore(ctx, req.State, &m, &resp.Diagnostics)
	if st == nil {
		return
	}
	p, err := st.GetPlan(ctx, m.ID.ValueString())
	if gone(ctx, err, &resp.State, &resp.Diagnostics, "Plan", m.ID.ValueString()) {
		return
	}
	if err != nil {
		addError(&resp.Diagnostics, "Reading plan", err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, planToModel(p))...)
}

func (r *planResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	st, want := r.planned(ctx, req.Plan, &resp.Diagnostics)
	if want == nil {
		return
	}
	p, _, err := launchpad.ReplacePlan(ctx, st, want)
	var proposal *launchpad.ProposalError
	switch {
	case errors.As(err, &proposal):
		resp.Diagnostics.AddWarning("Plan stored; its rollout was not proposed", proposal.Error())
	case err != nil:
		addError(&resp.Diagnostics, "Updating plan", err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, planToModel(p))...)
}

// Delete refuses to remove a plan that tenants or sub-keys are still on: the control plane
// and the next apply of those tenants need it.
func (r *planResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m planResourceModel
	st := r.data.readWithStore(ctx, req.State, &m, &resp.Diagnostics)
	if st == nil {
		return
	}
	err := launchpad.RemovePlan(ctx, st, m.ID.ValueString())
	if launchpad.IsConflict(err) {
		resp.Diagnostics.AddError("Plan is in use", launchpad.ErrorMessage(err))
		return
	}
	if err != nil {
		addError(&resp.Diagnostics, "Deleting plan", err)
	}
}

func (r *planResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if err := launchpad.ValidatePlanName(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid import id",
			launchpad.ErrorMessage(err)+". Import a plan by its name, e.g. terraform import launchpad_plan.pro pro")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}

func planFromModel(m *planResourceModel) *launchpad.Plan {
	display := m.DisplayName.ValueString()
	if m.DisplayName.IsNull() || m.DisplayName.IsUnknown() {
		display = m.Name.ValueString()
	}
	return &launchpad.Plan{
		Name:                 m.Name.ValueString(),
		DisplayName:          display,
		StripePriceID:        m.StripePriceID.ValueString(),
		MonthlySpendLimitUSD: m.MonthlySpendLimitUSD.ValueFloat64(),
		MachineHoursPerCycle: int(m.MachineHoursPerCycle.ValueInt64()),
		Guest:                guestFromModel(m.Guest),
		VolumeSizeGB:         int(m.VolumeSizeGB.ValueInt64()),
		AllowPooledKey:       m.AllowPooledKey.ValueBool(),
	}
}

func planToModel(p *launchpad.Plan) *planResourceModel {
	return &planResourceModel{
		ID:                   types.StringValue(p.Name),
		Name:                 types.StringValue(p.Name),
		DisplayName:          types.StringValue(p.DisplayName),
		StripePriceID:        optionalString(p.StripePriceID),
		MonthlySpendLimitUSD: types.Float64Value(p.MonthlySpendLimitUSD),
		MachineHoursPerCycle: types.Int64Value(int64(p.MachineHoursPerCycle)),
		Guest:                guestToModel(p.Guest),
		VolumeSizeGB:         types.Int64Value(int64(p.VolumeSizeGB)),
		AllowPooledKey:       types.BoolValue(p.AllowPooledKey),
	}
}

func guestFromModel(g *guestModel) launchpad.Guest {
	if g == nil {
		return launchpad.Guest{}
	}
	return launchpad.Guest{CPUKind: g.CPUKind.ValueString(), CPUs: int(g.CPUs.ValueInt64()), MemoryMB: int(g.MemoryMB.ValueInt64())}
}

func guestToModel(g launchpad.Guest) *guestModel {
	return &guestModel{CPUKind: types.StringValue(g.CPUKind), CPUs: types.Int64Value(int64(g.CPUs)), MemoryMB: types.Int64Value(int64(g.MemoryMB))}
}

// optionalString maps the store's "" to null, so an unset optional attribute stays unset.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
