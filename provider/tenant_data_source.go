package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

var (
	_ datasource.DataSource                     = (*tenantDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*tenantDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*tenantDataSource)(nil)
	_ datasource.DataSource                     = (*tenantsDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*tenantsDataSource)(nil)
)

// NewTenantDataSource is the launchpad_tenant data source.
func NewTenantDataSource() datasource.DataSource {
	return &tenantDataSource{configuredSource{name: "tenant"}}
}

type tenantDataSource struct {
	configuredSource
}

// tenantSummaryModel is a tenant as the store records it, for data sources.
type tenantSummaryModel struct {
	AppName      types.String `tfsdk:"app_name"`
	UserID       types.String `tfsdk:"user_id"`
	Product      types.String `tfsdk:"product"`
	Region       types.String `tfsdk:"region"`
	Plan         types.String `tfsdk:"plan"`
	Image        types.String `tfsdk:"image"`
	Network      types.String `tfsdk:"network"`
	MachineID    types.String `tfsdk:"machine_id"`
	MachineState types.String `tfsdk:"machine_state"`
	VolumeID     types.String `tfsdk:"volume_id"`
	IPv4         types.String `tfsdk:"ipv4"`
	IPv6         types.String `tfsdk:"ipv6"`
	KeySource    types.String `tfsdk:"key_source"`
	SubKeyHash   types.String `tfsdk:"subkey_hash"`
}

type tenantDataSourceModel struct {
	ID types.String `tfsdk:"id"`
	tenantSummaryModel
}

// tenantSummaryAttributes describes a tenant record; lookup names the attributes that select
// it and are therefore optional inputs rather than computed.
func tenantSummaryAttributes(lookup ...string) map[string]schema.Attribute {
	desc := map[string]string{
		"app_name":      "The tenant's Fly app.",
		"user_id":       "The user the tenant belongs to.",
		"product":       "The agent product.",
		"region":        "Fly region.",
		"plan":          "The tenant's plan.",
		"image":         "The machine image.",
		"network":       "The app's own private network.",
		"machine_id":    "The tenant machine.",
		"machine_state": "The machine's state when the tenant was last applied or metered.",
		"volume_id":     "The encrypted workspace volume.",
		"ipv4":          "Dedicated IPv4 address.",
		"ipv6":          "IPv6 address.",
		"key_source":    "`byok`, `subkey` or `pooled`.",
		"subkey_hash":   "The sub-key in use, if the key source is `subkey`.",
	}
	attrs := make(map[string]schema.Attribute, len(desc))
	for name, d := range desc {
		attrs[name] = schema.StringAttribute{Computed: true, Description: d}
	}
	valid := map[string]validator.String{"app_name": validAppName, "user_id": validUserID, "product": validProduct}
	for _, name := range lookup {
		a := attrs[name].(schema.StringAttribute)
		a.Computed, a.Optional, a.Validators = true, true, []validator.String{valid[name]}
		attrs[name] = a
	}
	return attrs
}

func (d *tenantDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := tenantSummaryAttributes("app_name", "user_id", "product")
	attrs["id"] = schema.StringAttribute{Computed: true, Description: "The app name."}
	resp.Schema = schema.Schema{
		Description: "Reads one tenant from the Launchpad store, by `app_name` or by `user_id` and `product`.",
		Attributes:  attrs,
	}
}

func (d *tenantDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("app_name"), path.MatchRoot("user_id")),
		datasourcevalidator.RequiredTogether(path.MatchRoot("user_id"), path.MatchRoot("product")),
	}
}

func (d *tenantDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m tenantDataSourceModel
	st := d.data.readWithStore(ctx, req.Config, &m, &resp.Diagnostics)
	if st == nil {
		return
	}
	t, err := tenant.NewService(tenant.Config{Store: st}).Lookup(ctx, m.AppName.ValueString(), m.UserID.ValueString(), m.Product.ValueString())
	if launchpad.IsNotFound(err) {
		attr := path.Root("user_id")
		if !m.AppName.IsNull() {
			attr = path.Root("app_name")
		}
		addAttributeError(&resp.Diagnostics, attr, "Tenant not found", err)
		return
	}
	if err != nil {
		addError(&resp.Diagnostics, "Reading tenant", err)
		return
	}
	out := tenantDataSourceModel{ID: types.StringValue(t.AppName), tenantSummaryModel: tenantSummary(t)}
	resp.Diagnostics.Append(resp.State.Set(ctx, &out)...)
}

func tenantSummary(t *launchpad.Tenant) tenantSummaryModel {
	return tenantSummaryModel{
		AppName:      types.StringValue(t.AppName),
		UserID:       types.StringValue(t.UserID),
		Product:      types.StringValue(t.Product),
		Region:       types.StringValue(t.Region),
		Plan:         types.StringValue(t.Plan),
		Image:        types.StringValue(t.Image),
		Network:      types.StringValue(t.Network),
		MachineID:    types.StringValue(t.MachineID),
		MachineState: types.StringValue(string(t.MachineState)),
		VolumeID:     types.StringValue(t.VolumeID),
		IPv4:         types.StringValue(t.IPv4),
		IPv6:         types.StringValue(t.IPv6),
		KeySource:    types.StringValue(string(t.KeySource)),
		SubKeyHash:   optionalString(t.SubKeyHash),
	}
}

// NewTenantsDataSource is the launchpad_tenants data source.
func NewTenantsDataSource() datasource.DataSource {
	return &tenantsDataSource{configuredSource{name: "tenants"}}
}

type tenantsDataSource struct {
	configuredSource
}

type tenantsDataSourceModel struct {
	ID      types.String         `tfsdk:"id"`
	UserID  types.String         `tfsdk:"user_id"`
	Plan    types.String         `tfsdk:"plan"`
	Tenants []tenantSummaryModel `tfsdk:"tenants"`
}

func (d *tenantsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Lists the tenants in the Launchpad store, for fleet-wide checks (for example, that no two " +
			"tenants share an IP), optionally only one user's or one plan's.",
		Attributes: map[string]schema.Attribute{
			"id":      schema.StringAttribute{Computed: true, Description: "The number of tenants listed."},
			"user_id": schema.StringAttribute{Optional: true, Description: "Only this user's tenants.", Validators: []validator.String{validUserID}},
			"plan":    schema.StringAttribute{Optional: true, Description: "Only tenants on this plan.", Validators: []validator.String{validPlanName}},
			"tenants": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "The tenants, ordered by app name.",
				NestedObject: schema.NestedAttributeObject{Attributes: tenantSummaryAttributes()},
			},
		},
	}
}

func (d *tenantsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m tenantsDataSourceModel
	st := d.data.readWithStore(ctx, req.Config, &m, &resp.Diagnostics)
	if st == nil {
		return
	}
	all, err := st.ListTenants(ctx, launchpad.TenantFilter{UserID: m.UserID.ValueString()})
	if err != nil {
		addError(&resp.Diagnostics, "Listing tenants", err)
		return
	}
	m.Tenants = []tenantSummaryModel{}
	for _, t := range all {
		if m.Plan.IsNull() || t.Plan == m.Plan.ValueString() {
			m.Tenants = append(m.Tenants, tenantSummary(t))
		}
	}
	m.ID = types.StringValue(strconv.Itoa(len(m.Tenants)))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
