package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

var (
	_ resource.Resource                = (*tenantResource)(nil)
	_ resource.ResourceWithConfigure   = (*tenantResource)(nil)
	_ resource.ResourceWithImportState = (*tenantResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*tenantResource)(nil)
)

// NewTenantResource is the launchpad_tenant resource.
func NewTenantResource() resource.Resource { return &tenantResource{configured{name: "tenant"}} }

type tenantResource struct {
	configured
}

// tenantResourceModel is the record the data sources show too (tenantSummaryModel), with
// the tenant's configuration, the sizes Fly reports and the key secret's digest.
type tenantResourceModel struct {
	ID types.String `tfsdk:"id"`
	tenantSummaryModel
	BYOKKeyWO         types.String `tfsdk:"byok_key_wo"`
	BYOKKeyWOVersion  types.Int64  `tfsdk:"byok_key_wo_version"`
	RebuildGeneration types.Int64  `tfsdk:"rebuild_generation"`
	ResetGeneration   types.Int64  `tfsdk:"reset_generation"`
	MachineCPUKind    types.String `tfsdk:"machine_cpu_kind"`
	MachineCPUs       types.Int64  `tfsdk:"machine_cpus"`
	MachineMemoryMB   types.Int64  `tfsdk:"machine_memory_mb"`
	VolumeSizeGB      types.Int64  `tfsdk:"volume_size_gb"`
	SecretDigest      types.String `tfsdk:"secret_digest"`
	// What the destroy does, and what the create restores.
	DeletionProtection     types.Bool     `tfsdk:"deletion_protection"`
	WorkspaceRetentionDays types.Int64    `tfsdk:"workspace_retention_days"`
	RestoreFrom            *restoreModel  `tfsdk:"restore_from"`
	Timeouts               timeouts.Value `tfsdk:"timeouts"`
}

// restoreModel names a destroyed tenant's retained workspace.
type restoreModel struct {
	AppName    types.String `tfsdk:"app_name"`
	SnapshotID types.String `tfsdk:"snapshot_id"`
}

const tenantType = "launchpad_tenant"

func (r *tenantResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "One user's isolated tenant: a Fly app named `lp-{product}-{uid8}-{ts}` on its own private network, " +
			"with a dedicated IPv4 and an IPv6, one encrypted volume mounted at `/workspace`, and one machine sized by " +
			"the plan. The model key is resolved BYOK → sub-key → pooled and delivered as a Fly app secret, never as " +
			"plain environment and never in state. Nothing is shared between two tenants. A plan change resizes the " +
			"machine in place and extends (never shrinks) the volume, in the same apply as an edit of the plan itself when `plan` " +
			"is set to `launchpad_plan.<name>.name`; changes made outside Terraform show up in the next plan. Users whose ids " +
			"share their first 8 characters get distinct app names (the next free creation second). A destroy or a " +
			"replacement warns before the `/workspace` volume is lost, and fails while `deletion_protection` is on; " +
			"`workspace_retention_days` keeps it as a snapshot that `restore_from` brings back.",
		Attributes: map[string]schema.Attribute{
			"id":       stableString("The app name."),
			"app_name": stableString("The Fly app: `lp-{product}-{uid8}-{ts}`, where uid8 is the first 8 characters of the user id reduced to `[a-z0-9]` and ts the creation time in base-36 seconds."),
			"user_id":  replacingString("The user the tenant belongs to. Changing it replaces the tenant.", validUserID),
			"product":  replacingString("The agent product, e.g. `hermes` or `openclaw` (1-20 lower-case letters and digits). A user has one tenant per product. Changing it replaces the tenant.", validProduct),
			"region": replacingString("Fly region of the volume and machine, e.g. `iad`: one of Fly's regions as this provider ships them ("+
				"`"+strings.Join(launchpad.FlyRegions, "`, `")+"`; a region Fly adds later needs a provider release). "+
				"Changing it replaces the tenant: volumes do not move, so the plan warns that `/workspace` is lost (or kept "+
				"as a snapshot with `workspace_retention_days`), and fails while `deletion_protection` is on.", validRegion),
			"plan": schema.StringAttribute{
				Required:    true,
				Description: "Name of the `launchpad_plan`. Changing it resizes the machine in place and extends the volume if the new plan's is larger.",
				Validators:  []validator.String{validPlanName},
			},
			"image": schema.StringAttribute{
				Required:    true,
				Description: "Container image of the agent machine. Changing it updates the machine in place.",
				Validators:  []validator.String{validImage},
			},
			"subkey_hash": schema.StringAttribute{
				Optional: true,
				Description: "Hash of the user's `launchpad_subkey` (`launchpad_subkey.<name>.hash`). Used when the user has " +
					"no BYOK key; without either, only trial plans (or plans with `allow_pooled_key`) run on the pooled key.",
				Validators: []validator.String{stringvalidator.RegexMatches(keyHashRegexp, "must be an OpenRouter key hash (launchpad_subkey.<name>.hash)")},
			},
			"byok_key_wo": schema.StringAttribute{
				Optional:  true,
				WriteOnly: true,
				Sensitive: true,
				Description: "The user's own model key (write-only: never stored in state or plan). It is sealed into the " +
					"user's record and preferred over the sub-key. Stored only when `byok_key_wo_version` changes; bump the " +
					"version with this attribute removed to delete the stored key.",
			},
			"byok_key_wo_version": schema.Int64Attribute{
				Optional:    true,
				Description: "Bump to store a new `byok_key_wo` (write-only values cannot be compared between runs).",
				Validators:  []validator.Int64{int64validator.AtLeast(0)},
			},
			"rebuild_generation": generation("Bump to rebuild the machine from a clean image; the volume and its data are kept."),
			"reset_generation": generation("Bump to reset the tenant from a clean image: the machine is destroyed, the `/workspace` volume is " +
				"snapshotted and deleted, and a new empty encrypted volume and a new machine are made (the app, its IPs and " +
				"the model key stay). The snapshot is kept `workspace_retention_days` days, or 7 when that is 0, and can be " +
				"restored with `restore_from`; the user's `tenant.reset` audit event names it. Unlike `rebuild_generation`, " +
				"nothing planted in `/workspace` survives. Ignored when the tenant is created."),
			"network":           stableString("The app's own private network (the app name): no `.internal` route reaches another tenant."),
			"machine_id":        stableString("The tenant machine."),
			"machine_state":     schema.StringAttribute{Computed: true, Description: "The machine's state when last read (`started`, `stopped`…); the control plane stops machines at the hour cap."},
			"machine_cpu_kind":  schema.StringAttribute{Computed: true, Description: "The machine's CPU kind as Fly reports it (from the plan)."},
			"machine_cpus":      schema.Int64Attribute{Computed: true, Description: "The machine's CPUs as Fly reports them (from the plan)."},
			"machine_memory_mb": schema.Int64Attribute{Computed: true, Description: "The machine's memory as Fly reports it (from the plan)."},
			"volume_id":         stableString("The encrypted workspace volume, mounted at `/workspace`."),
			"volume_size_gb":    schema.Int64Attribute{Computed: true, Description: "The volume's size: the largest plan size it has had (volumes are never shrunk).", PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"ipv4":              stableString("The tenant's dedicated IPv4 address."),
			"ipv6":              stableString("The tenant's IPv6 address."),
			"key_source":        stableString("Where the model key comes from: `byok`, `subkey` or `pooled`."),
			"secret_digest":     stableString("Fly's digest of the model key secret; changes when the key does. Never the key."),
			"deletion_protection": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				Description: "While true, the tenant cannot be destroyed or replaced (a region, product or user change): the plan " +
					"fails, naming this attribute, before anything is deleted. Set it to false and apply before destroying. " +
					"Defaults to false. Turn it on for tenants whose `/workspace` must not be lost by a mistaken edit; " +
					"`lifecycle { prevent_destroy = true }` does the same in Terraform itself.",
			},
			"workspace_retention_days": schema.Int64Attribute{
				Optional: true,
				Computed: true,
				Default:  int64default.StaticInt64(0),
				Description: "Days to keep a destroyed (or replaced) tenant's `/workspace`, 1-60; 0, the default, deletes it with the " +
					"tenant. When set, the destroy takes a Fly volume snapshot kept this long, then deletes the machine, the " +
					"volume, the IPs and the model key secret, and **keeps the now empty app**: Fly reaches a volume's snapshots " +
					"only through its app, and does not document keeping them once the app is deleted. An empty app holds no " +
					"machine, volume or dedicated address; Fly deletes the snapshot when the retention ends, and the app stays " +
					"until a tenant is restored into it (`restore_from`) or you delete it (`fly apps destroy`). The destroy's " +
					"warning and the user's `tenant.destroyed` audit event name the app and the snapshot. The store records the " +
					"kept app: a control plane (`serve`) on the same store deletes it, and the snapshot with it, once it was kept " +
					"longer than its `LAUNCHPAD_RETENTION_SNAPSHOTS` (default 0: at its next purge pass).",
				Validators: []validator.Int64{int64validator.Between(0, 60)},
			},
			"restore_from": schema.SingleNestedAttribute{
				Optional: true,
				Description: "Create the tenant from a retained workspace (see `workspace_retention_days`): in the app the destroy " +
					"kept, with `/workspace` restored from its snapshot (in the region it was taken in; extended to the plan's " +
					"volume size if that is larger). The app must be a tenant app of this product and user. Read only when the " +
					"tenant is created; changing it later changes nothing.",
				Attributes: map[string]schema.Attribute{
					"app_name": schema.StringAttribute{
						Required:    true,
						Description: "The app the destroy kept, e.g. `lp-hermes-alice01-sxyz12`.",
						Validators:  []validator.String{validAppName},
					},
					"snapshot_id": schema.StringAttribute{
						Required:    true,
						Description: "The snapshot the destroy took, e.g. `vs_2x7kq9m4p1r8t5w3`.",
						Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`),
							"must be a Fly volume snapshot id such as vs_2x7kq9m4p1r8t5w3")},
					},
				},
			},
			"timeouts": crudTimeouts(ctx),
		},
	}
}

// open starts a CRUD call: it reads the model from src into m, bounds ctx by the
// call's timeout and opens the tenant service. svc is nil, with the reasons in diags, when
// any of that fails; cancel is always safe to defer.
func (r *tenantResource) open(ctx context.Context, src modelSource, m *tenantResourceModel, of timeoutOf, dflt time.Duration, withKeyring bool, diags *diag.Diagnostics) (context.Context, context.CancelFunc, *tenant.Service) {
	ctx, cancel, ok := begin(ctx, src, m, &m.Timeouts, of, dflt, diags)
	if !ok {
		return ctx, cancel, nil
	}
	svc, problems := r.data.peers.Tenants(ctx, withKeyring) // nil when what it needs is not configured
	diags.Append(problemDiags(problems)...)
	return ctx, cancel, svc
}

func (r *tenantResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var byok types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("byok_key_wo"), &byok)...)
	var m tenantResourceModel
	ctx, cancel, svc := r.open(ctx, req.Plan, &m, timeouts.Value.Create, 15*time.Minute, true, &resp.Diagnostics)
	defer cancel()
	if svc == nil {
		return
	}
	plan := r.data.wantedPlan(ctx, m.Plan.ValueString(), &resp.Diagnostics)
	if plan == nil {
		return
	}
	want := tenant.Request{Plan: plan, SubKeyHash: m.SubKeyHash.ValueString(), Tenant: &launchpad.Tenant{
		UserID: m.UserID.ValueString(), Product: m.Product.ValueString(), Region: m.Region.ValueString(),
		Plan: plan.Name, Image: m.Image.ValueString(), RebuildGeneration: m.RebuildGeneration.ValueInt64(),
		ResetGeneration: m.ResetGeneration.ValueInt64(),
	}}
	if !byok.IsNull() && !byok.IsUnknown() {
		want.BYOKKey = byok.ValueStringPointer()
	}
	if from := m.RestoreFrom; from != nil {
		want.From = &tenant.Retained{AppName: from.AppName.ValueString(), SnapshotID: from.SnapshotID.ValueString()}
	}
	b, step, err := svc.Provision(ctx, want)
	if b != nil {
		// Also on failure: what exists stays in state, so the tainted resource is destroyed, not leaked.
		resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(b, &m, m.SubKeyHash))...)
	}
	if err != nil {
		addStepError(&resp.Diagnostics, step, "Creating tenant", "Recording tenant in the store", err)
		return
	}
	r.data.recordAudit(ctx, &resp.Diagnostics, tenant.CreatedEvent(b.Tenant))
}

func (r *tenantResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m tenantResourceModel
	ctx, cancel, svc := r.open(ctx, req.State, &m, timeouts.Value.Read, 5*time.Minute, false, &resp.Diagnostics)
	defer cancel()
	if svc == nil {
		return
	}
	t := tenantFromModel(&m)
	subKeyHash := m.SubKeyHash
	importing := m.UserID.IsNull()
	if importing {
		var err error
		if t, err = svc.Adopt(ctx, t.AppName); err != nil {
			addError(&resp.Diagnostics, "Importing tenant", err)
			return
		}
		subKeyHash = optionalString(t.SubKeyHash)
	}
	b, err := svc.Observe(ctx, t)
	if gone(ctx, err, &resp.State, &resp.Diagnostics, "Tenant app", t.AppName) {
		return
	}
	if err != nil {
		addError(&resp.Diagnostics, "Reading tenant", err)
		return
	}
	if importing {
		b.AdoptMachine()
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(b, &m, subKeyHash))...)
}

func (r *tenantResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m, state tenantResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	var byok types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("byok_key_wo"), &byok)...)
	ctx, cancel, svc := r.open(ctx, req.Plan, &m, timeouts.Value.Update, 15*time.Minute, true, &resp.Diagnostics)
	defer cancel()
	if svc == nil {
		return
	}
	plan := r.data.wantedPlan(ctx, m.Plan.ValueString(), &resp.Diagnostics)
	if plan == nil {
		return
	}
	current := boundaryFromModel(&state)
	b, step, err := svc.Update(ctx, current, tenant.Change{
		Plan: plan, Image: m.Image.ValueString(), RebuildGeneration: m.RebuildGeneration.ValueInt64(),
		ResetGeneration: m.ResetGeneration.ValueInt64(), ResetRetentionDays: int(m.WorkspaceRetentionDays.ValueInt64()),
		SubKeyHash: m.SubKeyHash.ValueString(), BYOKKeyChanged: !m.BYOKKeyWOVersion.Equal(state.BYOKKeyWOVersion),
	}, byok.ValueString())
	if err != nil {
		if step == tenant.StepFly {
			// Record what was done so far: the next plan compares it with the config again.
			resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(b, &state, state.SubKeyHash))...)
		}
		addStepError(&resp.Diagnostics, step, "Updating tenant", "Recording tenant in the store", err)
		return
	}
	r.data.recordAudit(ctx, &resp.Diagnostics, tenant.ReconciledEvent(current.Tenant, b))
	resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(b, &m, m.SubKeyHash))...)
}

func (r *tenantResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m tenantResourceModel
	ctx, cancel, svc := r.open(ctx, req.State, &m, timeouts.Value.Delete, 15*time.Minute, false, &resp.Diagnostics)
	defer cancel()
	if svc == nil {
		return
	}
	t := tenantFromModel(&m)
	if m.DeletionProtection.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("deletion_protection"), "Tenant is protected from deletion",
			fmt.Sprintf("Tenant %s has deletion_protection = true, so nothing was deleted. Set deletion_protection = false and apply, then destroy.", t.AppName))
		return
	}
	kept, step, err := svc.Destroy(ctx, t, m.WorkspaceRetentionDays.ValueInt64())
	if err != nil {
		addStepError(&resp.Diagnostics, step, "Deleting tenant", "Removing tenant from the store", err)
		return
	}
	ev := tenant.DestroyedEvent(t)
	if kept != nil {
		ev.Details = kept.Details()
		resp.Diagnostics.AddWarning("Tenant workspace retained", kept.Notice(t))
	}
	r.data.recordAudit(ctx, &resp.Diagnostics, ev)
}

// ImportState imports a tenant by its app name; Read then finds its parts at Fly and its
// owner in the store (or in the machine's metadata).
func (r *tenantResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if err := launchpad.ValidateAppName(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid import id", launchpad.ErrorMessage(err)+
			". Import a tenant by its app name, e.g. terraform import launchpad_tenant.alice lp-hermes-alice01-sxyz12")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("app_name"), req.ID)...)
}

func tenantFromModel(m *tenantResourceModel) *launchpad.Tenant {
	return &launchpad.Tenant{
		AppName:           m.ID.ValueString(),
		UserID:            m.UserID.ValueString(),
		Product:           m.Product.ValueString(),
		Region:            m.Region.ValueString(),
		Plan:              m.Plan.ValueString(),
		Image:             m.Image.ValueString(),
		Network:           m.Network.ValueString(),
		MachineID:         m.MachineID.ValueString(),
		VolumeID:          m.VolumeID.ValueString(),
		IPv4:              m.IPv4.ValueString(),
		IPv6:              m.IPv6.ValueString(),
		KeySource:         launchpad.KeySource(m.KeySource.ValueString()),
		SubKeyHash:        m.SubKeyHash.ValueString(),
		SecretDigest:      m.SecretDigest.ValueString(),
		RebuildGeneration: m.RebuildGeneration.ValueInt64(),
		ResetGeneration:   m.ResetGeneration.ValueInt64(),
		MachineState:      launchpad.MachineState(m.MachineState.ValueString()),
	}
}

// boundaryFromModel is the tenant as state records it, with the sizes Fly last reported.
func boundaryFromModel(m *tenantResourceModel) *tenant.Boundary {
	return &tenant.Boundary{
		Tenant:       tenantFromModel(m),
		VolumeSizeGB: int(m.VolumeSizeGB.ValueInt64()),
		Guest:        launchpad.Guest{CPUKind: m.MachineCPUKind.ValueString(), CPUs: int(m.MachineCPUs.ValueInt64()), MemoryMB: int(m.MachineMemoryMB.ValueInt64())},
	}
}

// settingsFromModel is what the configuration sets, as m holds it.
func settingsFromModel(m *tenantResourceModel) tenant.Settings {
	s := tenant.Settings{
		Plan:              m.Plan.ValueString(),
		Image:             m.Image.ValueString(),
		SubKeyHash:        m.SubKeyHash.ValueString(),
		RebuildGeneration: m.RebuildGeneration.ValueInt64(),
		ResetGeneration:   m.ResetGeneration.ValueInt64(),
	}
	if !m.BYOKKeyWOVersion.IsNull() && !m.BYOKKeyWOVersion.IsUnknown() {
		v := m.BYOKKeyWOVersion.ValueInt64()
		s.BYOKKeyVersion = &v
	}
	return s
}

// wantedFromModel is what a plan asks for, naming the values known only after apply.
func wantedFromModel(m *tenantResourceModel) tenant.Wanted {
	return tenant.Wanted{Settings: settingsFromModel(m), Pending: tenant.Pending{
		Plan:              m.Plan.IsUnknown(),
		Image:             m.Image.IsUnknown(),
		SubKeyHash:        m.SubKeyHash.IsUnknown(),
		BYOKKeyVersion:    m.BYOKKeyWOVersion.IsUnknown(),
		RebuildGeneration: m.RebuildGeneration.IsUnknown(),
		ResetGeneration:   m.ResetGeneration.IsUnknown(),
	}}
}

// tenantToModel maps a tenant to state. Configuration-only attributes (byok_key_wo_version,
// timeouts) are carried over from cfg; the sizes are the ones Fly reports.
func tenantToModel(b *tenant.Boundary, cfg *tenantResourceModel, subKeyHash types.String) *tenantResourceModel {
	t := b.Tenant
	m := &tenantResourceModel{
		ID:                 types.StringValue(t.AppName),
		tenantSummaryModel: tenantSummary(t),
		BYOKKeyWO:          types.StringNull(), // write-only: never in state
		BYOKKeyWOVersion:   cfg.BYOKKeyWOVersion,
		RebuildGeneration:  types.Int64Value(t.RebuildGeneration),
		ResetGeneration:    types.Int64Value(t.ResetGeneration),
		MachineCPUKind:     types.StringValue(b.Guest.CPUKind),
		MachineCPUs:        types.Int64Value(int64(b.Guest.CPUs)),
		MachineMemoryMB:    types.Int64Value(int64(b.Guest.MemoryMB)),
		VolumeSizeGB:       types.Int64Value(int64(b.VolumeSizeGB)),
		SecretDigest:       types.StringValue(t.SecretDigest),
		// Configuration only: carried over (an import starts from the defaults).
		DeletionProtection:     knownOr(cfg.DeletionProtection, types.BoolValue(false)),
		WorkspaceRetentionDays: knownOr(cfg.WorkspaceRetentionDays, types.Int64Value(0)),
		RestoreFrom:            cfg.RestoreFrom,
		Timeouts:               cfg.Timeouts,
	}
	m.SubKeyHash = subKeyHash
	return m
}

// knownOr is v, or dflt where the configuration leaves v null or unknown.
func knownOr[T interface {
	IsNull() bool
	IsUnknown() bool
}](v, dflt T) T {
	if v.IsNull() || v.IsUnknown() {
		return dflt
	}
	return v
}
