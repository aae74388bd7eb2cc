package provider

import (
	"context"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

var (
	_ resource.Resource                = (*tenantResource)(nil)
	_ resource.ResourceWithConfigure   = (*tenantResource)(nil)
	_ resource.ResourceWithImportState = (*tenantResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*tenantResource)(nil)
)

// NewTenantResource is the launchpad_tenant resource.
func NewTenantResource() resource.Resource { return &tenantResource{} }

type tenantResource struct {
	data *providerData
}

type tenantResourceModel struct {
	ID                types.String   `tfsdk:"id"`
	AppName           types.String   `tfsdk:"app_name"`
	UserID            types.String   `tfsdk:"user_id"`
	Product           types.String   `tfsdk:"product"`
	Region            types.String   `tfsdk:"region"`
	Plan              types.String   `tfsdk:"plan"`
	Image             types.String   `tfsdk:"image"`
	SubKeyHash        types.String   `tfsdk:"subkey_hash"`
	BYOKKeyWO         types.String   `tfsdk:"byok_key_wo"`
	BYOKKeyWOVersion  types.Int64    `tfsdk:"byok_key_wo_version"`
	RebuildGeneration types.Int64    `tfsdk:"rebuild_generation"`
	Network           types.String   `tfsdk:"network"`
	MachineID         types.String   `tfsdk:"machine_id"`
	MachineState      types.String   `tfsdk:"machine_state"`
	MachineCPUKind    types.String   `tfsdk:"machine_cpu_kind"`
	MachineCPUs       types.Int64    `tfsdk:"machine_cpus"`
	MachineMemoryMB   types.Int64    `tfsdk:"machine_memory_mb"`
	VolumeID          types.String   `tfsdk:"volume_id"`
	VolumeSizeGB      types.Int64    `tfsdk:"volume_size_gb"`
	IPv4              types.String   `tfsdk:"ipv4"`
	IPv6              types.String   `tfsdk:"ipv6"`
	KeySource         types.String   `tfsdk:"key_source"`
	SecretDigest      types.String   `tfsdk:"secret_digest"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

const tenantType = "launchpad_tenant"

func (r *tenantResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tenant"
}

func (r *tenantResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	stable := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: desc, PlanModifiers: stable}
	}
	resp.Schema = schema.Schema{
		Description: "One user's isolated tenant: a Fly app named `lp-{product}-{uid8}-{ts}` on its own private network, " +
			"with a dedicated IPv4 and an IPv6, one encrypted volume mounted at `/workspace`, and one machine sized by " +
			"the plan. The model key is resolved BYOK → sub-key → pooled and delivered as a Fly app secret, never as " +
			"plain environment and never in state. Nothing is shared between two tenants. A plan change resizes the " +
			"machine in place and extends (never shrinks) the volume; changes made outside Terraform show up in the next plan.",
		Attributes: map[string]schema.Attribute{
			"id":       computed("The app name."),
			"app_name": computed("The Fly app: `lp-{product}-{uid8}-{ts}`, where uid8 is the first 8 characters of the user id reduced to `[a-z0-9]` and ts the creation time in base-36 seconds."),
			"user_id": schema.StringAttribute{
				Required:      true,
				Description:   "The user the tenant belongs to. Changing it replaces the tenant.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{validUserID},
			},
			"product": schema.StringAttribute{
				Required:      true,
				Description:   "The agent product, e.g. `hermes` or `openclaw` (1-20 lower-case letters and digits). A user has one tenant per product. Changing it replaces the tenant.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{validProduct},
			},
			"region": schema.StringAttribute{
				Required:      true,
				Description:   "Fly region of the volume and machine, e.g. `iad`. Changing it replaces the tenant (volumes do not move).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{validRegion},
			},
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
			"rebuild_generation": schema.Int64Attribute{
				Optional:    true,
				Computed:    true,
				Default:     int64default.StaticInt64(0),
				Description: "Bump to rebuild the machine from a clean image; the volume and its data are kept.",
				Validators:  []validator.Int64{int64validator.AtLeast(0)},
			},
			"network":           computed("The app's own private network (the app name): no `.internal` route reaches another tenant."),
			"machine_id":        computed("The tenant machine."),
			"machine_state":     schema.StringAttribute{Computed: true, Description: "The machine's state when last read (`started`, `stopped`…); the control plane stops machines at the hour cap."},
			"machine_cpu_kind":  schema.StringAttribute{Computed: true, Description: "The machine's CPU kind as Fly reports it (from the plan)."},
			"machine_cpus":      schema.Int64Attribute{Computed: true, Description: "The machine's CPUs as Fly reports them (from the plan)."},
			"machine_memory_mb": schema.Int64Attribute{Computed: true, Description: "The machine's memory as Fly reports it (from the plan)."},
			"volume_id":         computed("The encrypted workspace volume, mounted at `/workspace`."),
			"volume_size_gb":    schema.Int64Attribute{Computed: true, Description: "The volume's size: the largest plan size it has had (volumes are never shrunk).", PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"ipv4":              computed("The tenant's dedicated IPv4 address."),
			"ipv6":              computed("The tenant's IPv6 address."),
			"key_source":        computed("Where the model key comes from: `byok`, `subkey` or `pooled`."),
			"secret_digest":     computed("Fly's digest of the model key secret; changes when the key does. Never the key."),
			"timeouts":          timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

func (r *tenantResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan compares what Read found at Fly with what the configuration and plan ask for,
// and marks every part that must change as unknown, so the plan shows each drift or change as
// an in-place update: a deleted machine or volume, a resized machine, a lost IP or secret, a
// key source that moved (a BYOK key stored, a sub-key revoked).
func (r *tenantResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() || r.data == nil {
		return // destroy, create, or validation before Configure
	}
	var plan, state tenantResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.UserID.Equal(state.UserID) || !plan.Product.Equal(state.Product) || !plan.Region.Equal(state.Region) {
		return // replaced: everything is new anyway
	}
	var desired *launchpad.Plan
	st, diags := r.data.Store(ctx)
	if !diags.HasError() && !plan.Plan.IsUnknown() {
		desired, _ = st.GetPlan(ctx, plan.Plan.ValueString()) // nil when created in this same apply
	}

	d := tenantDrift(&plan, &state, desired)
	if !d.secret && desired != nil && state.KeySource.ValueString() != "" && !plan.SubKeyHash.IsUnknown() {
		source, _, err := resolveKeySource(ctx, st, r.data.settings.pooledKey, plan.UserID.ValueString(), plan.SubKeyHash.ValueString(), desired)
		d.secret = err != nil || string(source) != state.KeySource.ValueString()
	}

	if d.machine {
		plan.MachineID = types.StringUnknown()
	}
	if d.volume {
		plan.VolumeID = types.StringUnknown()
	}
	if d.volumeSize {
		plan.VolumeSizeGB = types.Int64Unknown()
	}
	if d.ipv4 {
		plan.IPv4 = types.StringUnknown()
	}
	if d.ipv6 {
		plan.IPv6 = types.StringUnknown()
	}
	if d.secret {
		plan.SecretDigest, plan.KeySource = types.StringUnknown(), types.StringUnknown()
	}
	if d.any() {
		plan.MachineState = types.StringUnknown()
		plan.MachineCPUKind, plan.MachineCPUs, plan.MachineMemoryMB = types.StringUnknown(), types.Int64Unknown(), types.Int64Unknown()
	} else {
		plan.MachineState = state.MachineState
		plan.MachineCPUKind, plan.MachineCPUs, plan.MachineMemoryMB = state.MachineCPUKind, state.MachineCPUs, state.MachineMemoryMB
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// drift says which parts of a tenant an update must touch.
type drift struct {
	machine, guest, volume, volumeSize, ipv4, ipv6, secret bool
}

func (d drift) any() bool {
	return d.machine || d.guest || d.volume || d.volumeSize || d.ipv4 || d.ipv6 || d.secret
}

// tenantDrift compares the refreshed state (what Fly has) with the plan (what is wanted).
// desired is the plan's current record, nil if it does not exist yet.
func tenantDrift(plan, state *tenantResourceModel, desired *launchpad.Plan) drift {
	var d drift
	d.volume = state.VolumeID.ValueString() == ""
	d.machine = d.volume || state.MachineID.ValueString() == "" || !plan.RebuildGeneration.Equal(state.RebuildGeneration)
	d.ipv4 = state.IPv4.ValueString() == ""
	d.ipv6 = state.IPv6.ValueString() == ""
	d.secret = state.SecretDigest.ValueString() == "" || !plan.SubKeyHash.Equal(state.SubKeyHash) ||
		!plan.BYOKKeyWOVersion.Equal(state.BYOKKeyWOVersion)
	d.guest = d.machine || !plan.Image.Equal(state.Image) || !plan.Plan.Equal(state.Plan)
	d.volumeSize = d.volume || !plan.Plan.Equal(state.Plan)
	if desired != nil {
		g := desired.Guest
		d.guest = d.guest || g.CPUKind != state.MachineCPUKind.ValueString() ||
			int64(g.CPUs) != state.MachineCPUs.ValueInt64() || int64(g.MemoryMB) != state.MachineMemoryMB.ValueInt64()
		d.volumeSize = d.volumeSize || int64(desired.VolumeSizeGB) > state.VolumeSizeGB.ValueInt64()
	}
	return d
}

// tenantDeps are what every tenant operation needs.
type tenantDeps struct {
	store   launchpad.Store
	keyring *envelope.Keyring
	rt      launchpad.Runtime
}

func (r *tenantResource) deps(ctx context.Context, diags *diag.Diagnostics) *tenantDeps {
	st, d := r.data.Store(ctx)
	diags.Append(d...)
	kr, d := r.data.Keyring(tenantType)
	diags.Append(d...)
	rt, d := r.data.Runtime(ctx, tenantType)
	diags.Append(d...)
	if diags.HasError() {
		return nil
	}
	return &tenantDeps{store: st, keyring: kr, rt: rt}
}

func (r *tenantResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m tenantResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	var byok types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("byok_key_wo"), &byok)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, m.Timeouts.Create, 15*time.Minute, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	d := r.deps(ctx, &resp.Diagnostics)
	if d == nil {
		return
	}
	userID, product := m.UserID.ValueString(), m.Product.ValueString()
	plan, err := d.store.GetPlan(ctx, m.Plan.ValueString())
	if err != nil {
		addAttributeError(&resp.Diagnostics, path.Root("plan"), "Unknown plan", planLookupError(err, m.Plan.ValueString()))
		return
	}
	if !byok.IsNull() && !byok.IsUnknown() {
		if err := storeBYOK(ctx, d.store, d.keyring, userID, byok.ValueString()); err != nil {
			addAttributeError(&resp.Diagnostics, path.Root("byok_key_wo"), "Storing the BYOK key", err)
			return
		}
	}
	key, err := resolveTenantKey(ctx, d.store, d.keyring, r.data.settings.pooledKey, userID, m.SubKeyHash.ValueString(), plan)
	if err != nil {
		addAttributeError(&resp.Diagnostics, path.Root("subkey_hash"), "No model key for the tenant", err)
		return
	}

	want := &launchpad.Tenant{
		UserID: userID, Product: product, Region: m.Region.ValueString(),
		Plan: plan.Name, Image: m.Image.ValueString(), RebuildGeneration: m.RebuildGeneration.ValueInt64(),
	}
	t, b, sizeGB, err := createTenant(ctx, d, r.data.settings.flyOrg, r.data.now(), want, plan, key)
	if err != nil {
		if launchpad.IsConflict(err) && b == nil {
			addAttributeError(&resp.Diagnostics, path.Root("product"), "Tenant already exists", err)
			return
		}
		if b != nil && len(b.created) > 0 {
			// Keep what exists in state, so the tainted resource is destroyed, not leaked.
			resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(t, &m, m.SubKeyHash, sizeGB, b.guest))...)
		}
		addError(&resp.Diagnostics, "Creating tenant", err)
		return
	}
	if err := saveTenant(ctx, d.store, t); err != nil {
		resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(t, &m, m.SubKeyHash, sizeGB, b.guest))...)
		addError(&resp.Diagnostics, "Recording tenant in the store", err)
		return
	}
	recordAudit(ctx, d.store, &resp.Diagnostics, userID, launchpad.AuditTenantCreated, t.AppName,
		map[string]string{"plan": plan.Name, "region": t.Region, "key_source": string(t.KeySource)})
	resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(t, &m, m.SubKeyHash, sizeGB, b.guest))...)
}

// buildBoundary creates a new tenant's app, IPs, volume, key secret and machine, in that
// order: the secret exists before the machine first boots. When the app already exists — a
// create that was interrupted (tofu killed, a lost answer) and is now resumed under the same
// recorded name — what it made is found first and only the missing parts are created.
func buildBoundary(ctx context.Context, b *boundary, key *keyChoice) (sizeGB int, err error) {
	created, err := b.ensureApp(ctx)
	if err != nil {
		return 0, err
	}
	if !created {
		o, err := observe(ctx, b.rt, b.tenant)
		if err != nil {
			return 0, err
		}
		applyObserved(b.tenant, o)
		if o.volume != nil {
			sizeGB = o.volume.SizeGB
		}
		if o.machine != nil {
			b.guest = o.machine.Guest
		}
	}
	if err := b.ensureIPs(ctx); err != nil {
		return sizeGB, err
	}
	if sizeGB, _, err = b.ensureVolume(ctx, sizeGB); err != nil {
		return sizeGB, err
	}
	if err := setKey(ctx, b, key); err != nil {
		return sizeGB, err
	}
	if b.tenant.MachineID == "" {
		return sizeGB, b.createMachine(ctx)
	}
	if b.guest != b.plan.Guest {
		return sizeGB, b.updateMachine(ctx)
	}
	return sizeGB, nil
}

// appNameAttempts is how many creation seconds a new tenant tries when its app name is taken
// (at Fly, app names are global: another org, or a user whose id starts alike, created that
// second).
const appNameAttempts = 5

// createTenant names, claims and builds a new tenant. When the app name is taken at Fly and
// nothing was made under it, the claim is dropped and the next second's name is tried. It
// returns the boundary of the last attempt (nil if none was built) for the caller's error
// handling.
func createTenant(ctx context.Context, d *tenantDeps, org string, now time.Time, want *launchpad.Tenant, plan *launchpad.Plan, key *keyChoice) (*launchpad.Tenant, *boundary, int, error) {
	var err error
	for attempt := 0; attempt < appNameAttempts; attempt++ {
		created := now.Add(time.Duration(attempt) * time.Second)
		candidate := *want
		if candidate.AppName, err = launchpad.AppName(want.Product, want.UserID, created); err != nil {
			return nil, nil, 0, err
		}
		candidate.Network, candidate.CreatedAt = candidate.AppName, now
		t, err := claimTenant(ctx, d, &candidate)
		if err != nil {
			return nil, nil, 0, err
		}
		b := &boundary{rt: d.rt, org: org, plan: plan, tenant: t}
		sizeGB, err := buildBoundary(ctx, b, key)
		if err == nil {
			return t, b, sizeGB, nil
		}
		if b.appExists {
			return t, b, sizeGB, b.partialError(err)
		}
		// Nothing exists at Fly under this name: forget it, so that this loop (on a taken name)
		// or the next apply starts afresh under a new one.
		if derr := d.store.DeleteTenant(ctx, t.AppName); derr != nil && !launchpad.IsNotFound(derr) {
			return t, b, sizeGB, derr
		}
		if !launchpad.IsConflict(err) || t.AppName != candidate.AppName {
			return t, b, sizeGB, b.partialError(err)
		}
	}
	return nil, nil, 0, launchpad.Errorf(launchpad.EUNAVAILABLE, "the app names of user %s for %d seconds in a row are all taken at Fly (%s); try again",
		want.UserID, appNameAttempts, launchpad.ErrorMessage(err))
}

// claimTenant records the intent to create a user's tenant of a product before anything
// exists at Fly, so that a create interrupted half-way is resumed by the next apply under the
// same app name instead of leaking an app with an older name. A record whose machine exists is
// a tenant this configuration does not manage: it must be imported. A record whose app was
// deleted outside Terraform is stale and is replaced.
func claimTenant(ctx context.Context, d *tenantDeps, want *launchpad.Tenant) (*launchpad.Tenant, error) {
	existing, err := findTenant(ctx, d.store, want.UserID, want.Product)
	if err != nil {
		return nil, err
	}
	if existing != nil && existing.MachineID == "" {
		existing.Region, existing.Plan, existing.Image = want.Region, want.Plan, want.Image
		existing.RebuildGeneration = want.RebuildGeneration
		return existing, nil
	}
	if existing != nil {
		_, err := d.rt.GetApp(ctx, existing.AppName)
		switch {
		case err == nil:
			return nil, launchpad.Errorf(launchpad.ECONFLICT, "user %s already has a %s tenant, %s: a user has one tenant per product. "+
				"Import it with terraform import launchpad_tenant.<name> %s", want.UserID, want.Product, existing.AppName, existing.AppName)
		case !launchpad.IsNotFound(err):
			return nil, err
		}
		if err := d.store.DeleteTenant(ctx, existing.AppName); err != nil && !launchpad.IsNotFound(err) {
			return nil, err
		}
	}
	if err := d.store.CreateTenant(ctx, want); err != nil {
		return nil, err
	}
	return want, nil
}

// setKey delivers the resolved key and records its source and digest on the tenant.
func setKey(ctx context.Context, b *boundary, key *keyChoice) error {
	digest, err := deliverKey(ctx, b.rt, b.tenant, key.plaintext)
	if err != nil {
		return err
	}
	b.tenant.KeySource, b.tenant.SubKeyHash, b.tenant.SecretDigest = key.source, key.subKeyHash, digest
	return nil
}

func (r *tenantResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m tenantResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, m.Timeouts.Read, 5*time.Minute, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	st, diags := r.data.Store(ctx)
	resp.Diagnostics.Append(diags...)
	rt, diags := r.data.Runtime(ctx, tenantType)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	t := tenantFromModel(&m)
	subKeyHash := m.SubKeyHash
	importing := m.UserID.IsNull()
	if importing {
		if err := adoptRecord(ctx, st, t); err != nil {
			addError(&resp.Diagnostics, "Importing tenant", err)
			return
		}
		subKeyHash = optionalString(t.SubKeyHash)
	}
	o, err := observe(ctx, rt, t)
	if launchpad.IsNotFound(err) {
		notFoundWarning(&resp.Diagnostics, "Tenant app", t.AppName)
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addError(&resp.Diagnostics, "Reading tenant", err)
		return
	}
	applyObserved(t, o)
	if importing && o.machine != nil {
		adoptMachine(t, o.machine)
	}
	sizeGB := 0
	if o.volume != nil {
		sizeGB = o.volume.SizeGB
	}
	var guest launchpad.Guest
	if o.machine != nil {
		guest = o.machine.Guest
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(t, &m, subKeyHash, sizeGB, guest))...)
}

// adoptRecord fills an imported tenant from its store record. A tenant created elsewhere
// with no record is still importable: its app name and machine metadata say whose it is.
func adoptRecord(ctx context.Context, st launchpad.Store, t *launchpad.Tenant) error {
	rec, err := st.GetTenant(ctx, t.AppName)
	if launchpad.IsNotFound(err) {
		parts, err := launchpad.ParseAppName(t.AppName)
		if err != nil {
			return err
		}
		t.Product, t.Network = parts.Product, t.AppName
		return nil
	}
	if err != nil {
		return err
	}
	appName := t.AppName
	*t = *rec
	t.AppName = appName
	return nil
}

// adoptMachine fills what an import without a store record still lacks from the machine.
func adoptMachine(t *launchpad.Tenant, m *launchpad.Machine) {
	if t.UserID == "" {
		t.UserID = m.Metadata[metaUserID]
		t.Plan = m.Metadata[metaPlan]
		t.RebuildGeneration, _ = strconv.ParseInt(m.Metadata[metaGeneration], 10, 64)
	}
	if t.Region == "" {
		t.Region = m.Region
	}
	if t.Image == "" {
		t.Image = m.Image
	}
}

func (r *tenantResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m, state tenantResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	var byok types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("byok_key_wo"), &byok)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, m.Timeouts.Update, 15*time.Minute, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	d := r.deps(ctx, &resp.Diagnostics)
	if d == nil {
		return
	}
	plan, err := d.store.GetPlan(ctx, m.Plan.ValueString())
	if err != nil {
		addAttributeError(&resp.Diagnostics, path.Root("plan"), "Unknown plan", planLookupError(err, m.Plan.ValueString()))
		return
	}
	if !m.BYOKKeyWOVersion.Equal(state.BYOKKeyWOVersion) {
		if err := storeBYOK(ctx, d.store, d.keyring, m.UserID.ValueString(), byok.ValueString()); err != nil {
			addAttributeError(&resp.Diagnostics, path.Root("byok_key_wo"), "Storing the BYOK key", err)
			return
		}
	}
	t := tenantFromModel(&state)
	t.Plan, t.Image, t.RebuildGeneration = plan.Name, m.Image.ValueString(), m.RebuildGeneration.ValueInt64()
	b := &boundary{rt: d.rt, org: r.data.settings.flyOrg, plan: plan, tenant: t, guest: guestOf(&state)}
	byokChanged := !m.BYOKKeyWOVersion.Equal(state.BYOKKeyWOVersion)
	sizeGB, err := reconcile(ctx, b, d, r.data.settings.pooledKey, &state, m.SubKeyHash.ValueString(), byokChanged)
	if err != nil {
		// Record what was done so far: the next plan compares it with the config again.
		resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(t, &state, state.SubKeyHash, sizeGB, b.guest))...)
		addError(&resp.Diagnostics, "Updating tenant", err)
		return
	}
	if err := saveTenant(ctx, d.store, t); err != nil {
		addError(&resp.Diagnostics, "Recording tenant in the store", err)
		return
	}
	details := map[string]string{"plan": plan.Name, "image": t.Image}
	action := launchpad.AuditTenantUpdated
	if state.Plan.ValueString() != plan.Name {
		action, details["previous_plan"] = launchpad.AuditPlanChanged, state.Plan.ValueString()
	}
	if state.RebuildGeneration.ValueInt64() != t.RebuildGeneration {
		action, details["generation"] = launchpad.AuditTenantRebuilt, strconv.FormatInt(t.RebuildGeneration, 10)
	}
	recordAudit(ctx, d.store, &resp.Diagnostics, t.UserID, action, t.AppName, details)
	resp.Diagnostics.Append(resp.State.Set(ctx, tenantToModel(t, &m, m.SubKeyHash, sizeGB, b.guest))...)
}

// saveTenant writes the tenant record, creating it if the store lost it.
func saveTenant(ctx context.Context, st launchpad.Store, t *launchpad.Tenant) error {
	_, err := st.UpdateTenant(ctx, t.AppName, func(rec *launchpad.Tenant) error {
		created := rec.CreatedAt
		*rec = *t
		rec.CreatedAt = created
		return nil
	})
	if launchpad.IsNotFound(err) {
		return st.CreateTenant(ctx, t)
	}
	return err
}

// reconcile brings an existing tenant to its desired shape: missing parts are recreated, the
// volume extended, the machine rebuilt (new generation or new volume) or updated in place
// (plan size, image), and the key re-resolved and delivered if it changed. The conditions
// match tenantDrift, so every value the plan showed as known stays as planned.
func reconcile(ctx context.Context, b *boundary, d *tenantDeps, pooledKey string, state *tenantResourceModel, subKeyHash string, byokChanged bool) (int, error) {
	t := b.tenant
	sizeGB, newVolume, err := b.ensureVolume(ctx, int(state.VolumeSizeGB.ValueInt64()))
	if err != nil {
		return int(state.VolumeSizeGB.ValueInt64()), err
	}
	if err := b.ensureIPs(ctx); err != nil {
		return sizeGB, err
	}
	key, err := resolveTenantKey(ctx, d.store, d.keyring, pooledKey, t.UserID, subKeyHash, b.plan)
	if err != nil {
		return sizeGB, err
	}
	rebuild := newVolume || t.MachineID == "" || t.RebuildGeneration != state.RebuildGeneration.ValueInt64()
	if rebuild {
		if err := b.destroyMachine(ctx); err != nil {
			return sizeGB, err
		}
	}
	if byokChanged || t.SecretDigest == "" || key.source != t.KeySource || key.subKeyHash != t.SubKeyHash {
		if err := setKey(ctx, b, key); err != nil {
			return sizeGB, err
		}
	}
	if rebuild {
		return sizeGB, b.createMachine(ctx)
	}
	if b.plan.Guest != b.guest || t.Image != state.Image.ValueString() {
		if err := b.updateMachine(ctx); err != nil {
			return sizeGB, err
		}
	}
	return sizeGB, nil
}

func (r *tenantResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m tenantResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, m.Timeouts.Delete, 15*time.Minute, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	st, diags := r.data.Store(ctx)
	resp.Diagnostics.Append(diags...)
	rt, diags := r.data.Runtime(ctx, tenantType)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	t := tenantFromModel(&m)
	if err := teardown(ctx, rt, t); err != nil {
		addError(&resp.Diagnostics, "Deleting tenant", err)
		return
	}
	if err := st.DeleteTenant(ctx, t.AppName); err != nil && !launchpad.IsNotFound(err) {
		addError(&resp.Diagnostics, "Removing tenant from the store", err)
		return
	}
	recordAudit(ctx, st, &resp.Diagnostics, t.UserID, launchpad.AuditTenantDestroyed, t.AppName, nil)
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

// findTenant returns the user's tenant of a product, or nil.
func findTenant(ctx context.Context, st launchpad.Store, userID, product string) (*launchpad.Tenant, error) {
	ts, err := st.ListTenants(ctx, launchpad.TenantFilter{UserID: userID})
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.Product == product {
			return t, nil
		}
	}
	return nil, nil
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
		MachineState:      launchpad.MachineState(m.MachineState.ValueString()),
	}
}

// tenantToModel maps a tenant to state. Configuration-only attributes (byok_key_wo_version,
// timeouts) are carried over from cfg; guest is the machine size Fly reports.
func tenantToModel(t *launchpad.Tenant, cfg *tenantResourceModel, subKeyHash types.String, sizeGB int, guest launchpad.Guest) *tenantResourceModel {
	return &tenantResourceModel{
		ID:                types.StringValue(t.AppName),
		AppName:           types.StringValue(t.AppName),
		UserID:            types.StringValue(t.UserID),
		Product:           types.StringValue(t.Product),
		Region:            types.StringValue(t.Region),
		Plan:              types.StringValue(t.Plan),
		Image:             types.StringValue(t.Image),
		SubKeyHash:        subKeyHash,
		BYOKKeyWO:         types.StringNull(), // write-only: never in state
		BYOKKeyWOVersion:  cfg.BYOKKeyWOVersion,
		RebuildGeneration: types.Int64Value(t.RebuildGeneration),
		Network:           types.StringValue(t.Network),
		MachineID:         types.StringValue(t.MachineID),
		MachineState:      types.StringValue(string(t.MachineState)),
		MachineCPUKind:    types.StringValue(guest.CPUKind),
		MachineCPUs:       types.Int64Value(int64(guest.CPUs)),
		MachineMemoryMB:   types.Int64Value(int64(guest.MemoryMB)),
		VolumeID:          types.StringValue(t.VolumeID),
		VolumeSizeGB:      types.Int64Value(int64(sizeGB)),
		IPv4:              types.StringValue(t.IPv4),
		IPv6:              types.StringValue(t.IPv6),
		KeySource:         types.StringValue(string(t.KeySource)),
		SecretDigest:      types.StringValue(t.SecretDigest),
		Timeouts:          cfg.Timeouts,
	}
}

// guestOf is the machine size recorded in state.
func guestOf(m *tenantResourceModel) launchpad.Guest {
	return launchpad.Guest{CPUKind: m.MachineCPUKind.ValueString(), CPUs: int(m.MachineCPUs.ValueInt64()), MemoryMB: int(m.MachineMemoryMB.ValueInt64())}
}
