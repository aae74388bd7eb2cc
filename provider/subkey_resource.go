package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

var (
	_ resource.Resource                = (*subKeyResource)(nil)
	_ resource.ResourceWithConfigure   = (*subKeyResource)(nil)
	_ resource.ResourceWithImportState = (*subKeyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*subKeyResource)(nil)
)

// NewSubKeyResource is the launchpad_subkey resource.
func NewSubKeyResource() resource.Resource { return &subKeyResource{configured{name: "subkey"}} }

type subKeyResource struct {
	configured
}

type subKeyResourceModel struct {
	ID                 types.String   `tfsdk:"id"`
	Hash               types.String   `tfsdk:"hash"`
	UserID             types.String   `tfsdk:"user_id"`
	Plan               types.String   `tfsdk:"plan"`
	Name               types.String   `tfsdk:"name"`
	RotationGeneration types.Int64    `tfsdk:"rotation_generation"`
	LimitUSD           types.Float64  `tfsdk:"limit_usd"`
	LimitReset         types.String   `tfsdk:"limit_reset"`
	IncludeBYOKInLimit types.Bool     `tfsdk:"include_byok_in_limit"`
	KeyID              types.String   `tfsdk:"key_id"`
	Disabled           types.Bool     `tfsdk:"disabled"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
}

const subKeyType = "launchpad_subkey"

func (r *subKeyResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A user's own OpenRouter key with a hard monthly spend cap: `limit` is the plan's " +
			"`monthly_spend_limit_usd`, `limit_reset` is `monthly`, and BYOK usage does not count against it. " +
			"The plaintext key is sealed (AES-256-GCM, the user id as additional data) into the user's record in the " +
			"Launchpad store and never enters Terraform state: state keeps only the key's hash, limits and the id of " +
			"the sealing key. A plan change updates the limit in place — an edit of the plan's limit in the same apply as the " +
			"plan, when `plan` is set to `launchpad_plan.<name>.name` — and bumping `rotation_generation` mints a new key, " +
			"delivers it to the user's tenants, and only then revokes the old one. A second sub-key for a user fails the plan.",
		Attributes: map[string]schema.Attribute{
			"id":      stableString("The key's OpenRouter hash (same as `hash`)."),
			"hash":    stableString("OpenRouter's id for the key. Safe to show; it cannot be used to call models."),
			"user_id": replacingString("The user the key belongs to. A user has at most one sub-key. Changing it replaces the key.", validUserID),
			"plan": schema.StringAttribute{
				Required:    true,
				Description: "Name of the `launchpad_plan` whose `monthly_spend_limit_usd` is the key's limit. Changing it updates the limit in place.",
				Validators:  []validator.String{validPlanName},
			},
			"name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Description: "Name of the key at OpenRouter (unique per key; used to find it again after a lost response). " +
					"Defaults to `launchpad-{user_id}`.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				Validators: []validator.String{stringvalidator.RegexMatches(keyNameRegexp,
					"must be 1-100 letters, digits, spaces and ._:@()- starting with a letter or digit")},
			},
			"rotation_generation": generation("Bump to rotate: a new key is minted under the same limit and delivered to the user's " +
				"tenants' app secret before the old key is revoked, so there is no moment without a working key."),
			"limit_usd": schema.Float64Attribute{
				Computed:    true,
				Description: "The key's hard spend limit in US dollars, as OpenRouter enforces it.",
			},
			"limit_reset":           stableString("When OpenRouter resets the key's usage: always `monthly`."),
			"include_byok_in_limit": stableBool("Whether BYOK usage counts against the limit: always false."),
			"key_id":                stableString("Id of the platform key the stored copy is sealed under; it changes after `rotate-secret`."),
			"disabled":              stableBool("Whether the key is disabled at OpenRouter (revoked by an operator)."),
			"timeouts":              crudTimeouts(ctx),
		},
	}
}

// ModifyPlan computes what the key will look like and checks, before anything is changed,
// what would make the apply fail. Its limit follows the plan as this apply leaves it (internal/runplan:
// a plan edited in the same configuration shows here as the new limit, and is applied first);
// a rotation gives it a new hash, sealed under the current platform key; a reset period or
// BYOK counting changed at OpenRouter is put back. A new key needs a plan that exists or is
// planned, and a user who holds no sub-key yet (in the store or in this configuration). A key
// disabled at OpenRouter stays disabled — the plan says so with a warning.
func (r *subKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or validation before Configure
	}
	var plan, state subKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Name.IsUnknown() && !plan.UserID.IsUnknown() {
		plan.Name = types.StringValue("launchpad-" + plan.UserID.ValueString())
	}
	// The cap's shape is not configurable: a reset period or BYOK counting changed at
	// OpenRouter is drift, shown in the plan and put back by the apply.
	plan.LimitReset = types.StringValue(launchpad.LimitResetMonthly)
	plan.IncludeBYOKInLimit = types.BoolValue(false)
	want, pending := r.data.plannedPlanOf(ctx, &resp.Diagnostics, plan.Plan)
	limit := types.Float64Unknown()
	if want != nil {
		limit = types.Float64Value(want.MonthlySpendLimitUSD)
	}

	if req.State.Raw.IsNull() {
		r.checkNewKey(ctx, &resp.Diagnostics, plan.UserID)
		plan.LimitUSD = limit
		plan.Disabled = types.BoolValue(false)
		plan.KeyID = r.sealingKeyID()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.Disabled.ValueBool() {
		resp.Diagnostics.AddAttributeWarning(path.Root("disabled"), "Sub-key disabled at OpenRouter",
			subkey.DisabledNotice(state.Hash.ValueString(), state.UserID.ValueString()))
	}
	if pending || (want != nil && want.MonthlySpendLimitUSD != state.LimitUSD.ValueFloat64()) ||
		!plan.Plan.Equal(state.Plan) || !plan.Name.Equal(state.Name) {
		plan.LimitUSD = limit // the plan (or its limit) moved, or the limit drifted at OpenRouter
	}
	if !plan.RotationGeneration.Equal(state.RotationGeneration) {
		plan.ID = types.StringUnknown()
		plan.Hash = types.StringUnknown()
		plan.KeyID = r.sealingKeyID()
		plan.LimitUSD = limit
		plan.Disabled = types.BoolValue(false)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// checkNewKey refuses, at plan time, a second sub-key for a user: one the store records that
// still exists at OpenRouter (a recorded key deleted there is dropped by the apply), or one
// another resource of this configuration creates.
func (r *subKeyResource) checkNewKey(ctx context.Context, diags *diag.Diagnostics, userID types.String) {
	if userID.IsUnknown() {
		return
	}
	user := userID.ValueString()
	notPlannedTwice(diags, r.data.run.ClaimKey(user), path.Root("user_id"), "sub-keys")
	st, ds := r.data.Store(ctx)
	diags.Append(ds...)
	if ds.HasError() {
		return
	}
	issuer, _ := r.data.peers.KeyIssuer(subKeyType) // nil when OpenRouter is not configured: the record alone counts
	if held := subkey.NewService(subkey.Config{Store: st, Issuer: issuer}).Holds(ctx, user); held != "" {
		keyHeld(diags, user, held, "the resource that manages it")
	}
}

// keyHeld refuses a second sub-key for user, who holds hash; destroy names what to destroy.
func keyHeld(diags *diag.Diagnostics, user, hash, destroy string) {
	diags.AddAttributeError(path.Root("user_id"), "User already has a sub-key",
		fmt.Sprintf("User %s already has the sub-key %s; a user has one. Import it with terraform import launchpad_subkey.<name> %s, "+
			"or destroy %s first.", user, hash, hash, destroy))
}

// sealingKeyID is the key id a key minted now is sealed under (the current platform key), or
// unknown when the platform secret is not configured (the apply reports that).
func (r *subKeyResource) sealingKeyID() types.String {
	if kr, problems := r.data.peers.Keyring(subKeyType); len(problems) == 0 {
		return types.StringValue(kr.CurrentKeyID())
	}
	return types.StringUnknown()
}

// open starts a Create, Read or Delete: it reads the model from src into m, bounds ctx by the
// call's timeout and opens the sub-key service. svc is nil, with the reasons in diags, when
// any of that fails; cancel is always safe to defer.
func (r *subKeyResource) open(ctx context.Context, src modelSource, m *subKeyResourceModel, of timeoutOf, dflt time.Duration, withKeyring bool, diags *diag.Diagnostics) (context.Context, context.CancelFunc, *subkey.Service) {
	ctx, cancel, ok := begin(ctx, src, m, &m.Timeouts, of, dflt, diags)
	if !ok {
		return ctx, cancel, nil
	}
	return ctx, cancel, r.data.subKeys(ctx, diags, withKeyring, nil)
}

func (r *subKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m subKeyResourceModel
	ctx, cancel, svc := r.open(ctx, req.Plan, &m, timeouts.Value.Create, 5*time.Minute, true, &resp.Diagnostics)
	defer cancel()
	if svc == nil {
		return
	}
	plan := r.data.wantedPlan(ctx, m.Plan.ValueString(), &resp.Diagnostics)
	if plan == nil {
		return
	}
	userID := m.UserID.ValueString()
	if held, err := svc.Held(ctx, userID); err != nil {
		addError(&resp.Diagnostics, "Reading the user's sub-key", err)
		return
	} else if held != "" {
		keyHeld(&resp.Diagnostics, userID, held, "it")
		return
	}

	k, err := svc.Mint(ctx, userID, plan, m.Name.ValueString(), m.RotationGeneration.ValueInt64())
	if err != nil {
		addError(&resp.Diagnostics, "Minting sub-key", err)
		return
	}
	r.data.recordAudit(ctx, &resp.Diagnostics, subkey.MintedEvent(k))
	resp.Diagnostics.Append(resp.State.Set(ctx, subKeyToModel(k, svc.SealedKeyID(ctx, k), m.Timeouts))...)
}

func (r *subKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m subKeyResourceModel
	ctx, cancel, svc := r.open(ctx, req.State, &m, timeouts.Value.Read, 2*time.Minute, false, &resp.Diagnostics)
	defer cancel()
	if svc == nil {
		return
	}
	hash := m.ID.ValueString()
	k, atOpenRouter, err := svc.Get(ctx, hash, m.UserID.ValueString(), m.RotationGeneration.ValueInt64())
	kind, summary := "Sub-key", "Reading sub-key"
	if atOpenRouter {
		kind, summary = "OpenRouter key", "Reading sub-key from OpenRouter"
	}
	if gone(ctx, err, &resp.State, &resp.Diagnostics, kind, hash) {
		return
	}
	if err != nil {
		addError(&resp.Diagnostics, summary, err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, subKeyToModel(k, svc.SealedKeyID(ctx, k), m.Timeouts))...)
}

func (r *subKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m, state subKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel, ok := begin(ctx, req.Plan, &m, &m.Timeouts, timeouts.Value.Update, 5*time.Minute, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	rotating := m.RotationGeneration.ValueInt64() != state.RotationGeneration.ValueInt64()
	var rt launchpad.Runtime
	if rotating {
		rt, _ = r.data.peers.Runtime(ctx, subKeyType) // tenants can only be re-keyed when Fly is configured
	}
	svc := r.data.subKeys(ctx, &resp.Diagnostics, true, rt)
	if svc == nil {
		return
	}
	plan := r.data.wantedPlan(ctx, m.Plan.ValueString(), &resp.Diagnostics)
	if plan == nil {
		return
	}
	applied := subkey.Applied{Hash: state.ID.ValueString(), LimitUSD: state.LimitUSD.ValueFloat64(), Generation: state.RotationGeneration.ValueInt64()}
	k, ev, err := svc.Change(ctx, applied, plan, m.Name.ValueString(), m.RotationGeneration.ValueInt64())
	if err != nil {
		summary := "Updating sub-key"
		if rotating {
			summary = "Rotating sub-key"
		}
		addError(&resp.Diagnostics, summary, err)
		return
	}
	r.data.recordAudit(ctx, &resp.Diagnostics, ev)
	resp.Diagnostics.Append(resp.State.Set(ctx, subKeyToModel(k, svc.SealedKeyID(ctx, k), m.Timeouts))...)
}

func (r *subKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m subKeyResourceModel
	ctx, cancel, svc := r.open(ctx, req.State, &m, timeouts.Value.Delete, 5*time.Minute, false, &resp.Diagnostics)
	defer cancel()
	if svc == nil {
		return
	}
	hash, userID := m.ID.ValueString(), m.UserID.ValueString()
	if err := svc.Revoke(ctx, userID, hash); err != nil {
		addError(&resp.Diagnostics, "Deleting sub-key", err)
		return
	}
	r.data.recordAudit(ctx, &resp.Diagnostics, subkey.DestroyedEvent(userID, hash))
}

// ImportState imports a sub-key by its hash. Only keys minted by Launchpad can be imported:
// the plaintext exists nowhere else, so a key minted elsewhere could never reach a tenant.
func (r *subKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !keyHashRegexp.MatchString(req.ID) {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not an OpenRouter key hash; import a sub-key by its hash, e.g. terraform import launchpad_subkey.alice 3f2a…", req.ID))
		return
	}
	if r.data != nil {
		if st, diags := r.data.Store(ctx); !diags.HasError() {
			if err := subkey.NewService(subkey.Config{Store: st}).CheckImportable(ctx, req.ID); err != nil {
				addError(&resp.Diagnostics, "Sub-key not in the Launchpad store", err)
				return
			}
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("hash"), req.ID)...)
}

func subKeyToModel(k *launchpad.SubKey, keyID string, t timeouts.Value) *subKeyResourceModel {
	return &subKeyResourceModel{
		ID:                 types.StringValue(k.Hash),
		Hash:               types.StringValue(k.Hash),
		UserID:             types.StringValue(k.UserID),
		Plan:               types.StringValue(k.Plan),
		Name:               types.StringValue(k.Name),
		RotationGeneration: types.Int64Value(k.RotationGeneration),
		LimitUSD:           types.Float64Value(k.LimitUSD),
		LimitReset:         types.StringValue(k.LimitReset),
		IncludeBYOKInLimit: types.BoolValue(k.IncludeBYOKInLimit),
		KeyID:              types.StringValue(keyID),
		Disabled:           types.BoolValue(k.Disabled),
		Timeouts:           t,
	}
}
