// Package provider is the launchpad Terraform provider: schema and the mapping of resources to
// the services in internal/. It makes no HTTP calls of its own.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

var _ provider.Provider = (*launchpadProvider)(nil)

type launchpadProvider struct {
	version string
}

// New returns the provider factory Terraform's plugin server calls.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &launchpadProvider{version: version} }
}

func (p *launchpadProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "launchpad"
	resp.Version = p.version
}

func (p *launchpadProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{Description: "Launchpad declares each paying user's isolated tenant as infrastructure."}
}

func (p *launchpadProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p *launchpadProvider) Resources(context.Context) []func() resource.Resource { return nil }

func (p *launchpadProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
