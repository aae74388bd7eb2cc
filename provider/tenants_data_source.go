package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

var (
	_ datasource.DataSource              = (*tenantsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*tenantsDataSource)(nil)
)

// NewTenantsDataSource is the launchpad_tenants data source.
func NewTenantsDataSource() datasource.DataSource { return &tenantsDataSource{} }

type tenantsDataSource struct {
	data *providerData
}

type tenantsDataSourceModel struct {
	ID      types.String         `tfsdk:"id"`
	UserID  types.String         `tfsdk:"user_id"`
	Plan    types.String         `tfsdk:"plan"`
	Tenants []tenantSummaryModel `tfsdk:"tenants"`
}

func (d *tenantsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tenants"
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

func (d *tenantsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *tenantsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m tenantsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	st, diags := d.data.Store(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
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
