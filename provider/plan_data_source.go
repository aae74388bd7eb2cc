package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/clawdrun/terraform-provider-launchpad/internal/runplan"
)

var (
	_ datasource.DataSource              = (*planDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*planDataSource)(nil)
)

// NewPlanDataSource is the launchpad_plan data source.
func NewPlanDataSource() datasource.DataSource {
	return &planDataSource{configuredSource{name: "plan"}}
}

type planDataSource struct {
	configuredSource
}

func (d *planDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Reads a plan from the Launchpad store, e.g. one managed in another configuration.",
		Attributes: map[string]schema.Attribute{
			"id":                      schema.StringAttribute{Computed: true, Description: "The plan name."},
			"name":                    schema.StringAttribute{Required: true, Description: "The plan's slug.", Validators: []validator.String{validPlanName}},
			"display_name":            schema.StringAttribute{Computed: true, Description: "Name shown to users."},
			"stripe_price_id":         schema.StringAttribute{Computed: true, Description: "The Stripe price mapped to this plan, if any."},
			"monthly_spend_limit_usd": schema.Float64Attribute{Computed: true, Description: "Hard monthly spend cap of the plan's sub-keys, in US dollars."},
			"machine_hours_per_cycle": schema.Int64Attribute{Computed: true, Description: "Machine running hours per billing cycle."},
			"guest": schema.SingleNestedAttribute{
				Computed:    true,
				Description: "The tenant machine's size.",
				Attributes: map[string]schema.Attribute{
					"cpu_kind":  schema.StringAttribute{Computed: true, Description: "`shared` or `performance`."},
					"cpus":      schema.Int64Attribute{Computed: true, Description: "Number of CPUs."},
					"memory_mb": schema.Int64Attribute{Computed: true, Description: "Memory in MB."},
				},
			},
			"volume_size_gb":   schema.Int64Attribute{Computed: true, Description: "Size of the tenant volume in GB."},
			"allow_pooled_key": schema.BoolAttribute{Computed: true, Description: "Whether tenants may fall back to the pooled platform key."},
		},
	}
}

func (d *planDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m planResourceModel
	st := d.data.readWithStore(ctx, req.Config, &m, &resp.Diagnostics)
	if st == nil {
		return
	}
	p, err := st.GetPlan(ctx, m.Name.ValueString())
	if err != nil {
		addAttributeError(&resp.Diagnostics, path.Root("name"), "Reading plan", runplan.PlanLookupError(err, m.Name.ValueString()))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, planToModel(p))...)
}
