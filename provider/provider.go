// Package provider is the launchpad Terraform provider: schema, plan modifiers, validators,
// diagnostics, timeouts, configuration, and the mapping between Terraform values and the
// domain types of internal/launchpad. What a resource does lives in the lifecycles it calls —
// internal/tenant and internal/subkey — and it makes no HTTP calls of its own: the Fly and
// OpenRouter clients live in internal/fly and internal/openrouter, the store in internal/store.
package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/peers"
	setting "github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

var _ provider.Provider = (*launchpadProvider)(nil)

type launchpadProvider struct {
	version string
	now     func() time.Time // the clock tenant app names are stamped with
}

// New returns the provider factory Terraform's plugin server calls.
func New(version string) func() provider.Provider {
	return newWithClock(version, time.Now)
}

// newWithClock is New with an injected clock, for tests that need to know the names the
// provider will choose.
func newWithClock(version string, now func() time.Time) func() provider.Provider {
	return func() provider.Provider { return &launchpadProvider{version: version, now: now} }
}

// providerModel is the provider block.
type providerModel struct {
	Store                  types.String     `tfsdk:"store"`
	PlatformSecret         types.String     `tfsdk:"platform_secret"`
	PlatformSecretPrevious types.String     `tfsdk:"platform_secret_previous"`
	Fly                    *flyModel        `tfsdk:"fly"`
	OpenRouter             *openRouterModel `tfsdk:"openrouter"`
}

type flyModel struct {
	APIToken types.String `tfsdk:"api_token"`
	Org      types.String `tfsdk:"org"`
	BaseURL  types.String `tfsdk:"base_url"`
}

type openRouterModel struct {
	ManagementKey types.String `tfsdk:"management_key"`
	BaseURL       types.String `tfsdk:"base_url"`
	PooledKey     types.String `tfsdk:"pooled_key"`
	BatchReads    types.Bool   `tfsdk:"batch_reads"`
}

func (p *launchpadProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "launchpad"
	resp.Version = p.version
}

func (p *launchpadProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Launchpad declares each paying user's isolated tenant — a Fly.io app on its own private " +
			"network with dedicated IPs, an encrypted volume, and an OpenRouter key with a hard monthly spend cap — " +
			"as infrastructure. Every attribute falls back to an environment variable; a missing value is reported " +
			"only by the resources that need it.",
		Attributes: map[string]schema.Attribute{
			"store": schema.StringAttribute{
				Optional: true,
				Description: "Where Launchpad keeps plans, tenants, sealed keys and audit events: " +
					"`sqlite:///path/launchpad.db` or `firestore://PROJECT_ID`. Defaults to `LAUNCHPAD_STORE`, " +
					"else `./launchpad.db`. The control plane must use the same store.",
			},
			"platform_secret": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				Description: "The platform secret (at least 32 bytes) from which the key that seals stored credentials " +
					"is derived. Defaults to `PLATFORM_SECRET`. Needed by `launchpad_subkey` and `launchpad_tenant`. It must be the " +
					"store's: the store records the key id its credentials are sealed under, and a plan with another secret fails " +
					"before anything is changed (during a rotation, the new secret with the old one as `platform_secret_previous`).",
			},
			"platform_secret_previous": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				Description: "The previous platform secret during a rotation, so credentials sealed under it still open. " +
					"Defaults to `PLATFORM_SECRET_PREVIOUS`.",
			},
			"fly": schema.SingleNestedAttribute{
				Optional:    true,
				Description: "The Fly.io Machines API, where tenants run. Needed by `launchpad_tenant`.",
				Attributes: map[string]schema.Attribute{
					"api_token": schema.StringAttribute{
						Optional: true, Sensitive: true,
						Description: "Fly API token. Defaults to `FLY_API_TOKEN`.",
					},
					"org": schema.StringAttribute{
						Optional:    true,
						Description: "Fly organization slug the tenant apps are created in. Defaults to `FLY_ORG`.",
					},
					"base_url": schema.StringAttribute{
						Optional: true,
						Description: "Machines API base URL. Defaults to `FLY_FLAPS_BASE_URL`, else " +
							"`https://api.machines.dev`; the sandbox prints its own.",
					},
				},
			},
			"openrouter": schema.SingleNestedAttribute{
				Optional:    true,
				Description: "OpenRouter's key-management API, which mints the per-tenant keys with hard spend caps.",
				Attributes: map[string]schema.Attribute{
					"management_key": schema.StringAttribute{
						Optional: true, Sensitive: true,
						Description: "OpenRouter management (provisioning) key. Defaults to `OPENROUTER_MANAGEMENT_KEY`. " +
							"Needed by `launchpad_subkey`.",
					},
					"base_url": schema.StringAttribute{
						Optional: true,
						Description: "API base URL. Defaults to `OPENROUTER_API_URL`, else `https://openrouter.ai/api/v1`; " +
							"the sandbox prints its own.",
					},
					"pooled_key": schema.StringAttribute{
						Optional: true, Sensitive: true,
						Description: "The pooled platform key, used only for trial tenants (or plans with " +
							"`allow_pooled_key = true`) that have neither a BYOK key nor a sub-key. Defaults to " +
							"`OPENROUTER_POOLED_KEY`.",
					},
					"batch_reads": schema.BoolAttribute{
						Optional: true,
						Description: "Refresh sub-keys from one listing of the account's keys (a request per page of keys, " +
							"kept for 30 seconds and dropped by every write this provider makes) instead of one request per " +
							"sub-key. A key missing from the listing is still looked up by itself before it leaves the state, " +
							"so deleted keys are detected as before. Defaults to `OPENROUTER_BATCH_READS`, else `true`. Set " +
							"`false` when the management key's account holds many more keys than this configuration manages: " +
							"the listing reads all of them.",
					},
				},
			},
		},
	}
}

// Configure resolves the provider settings (config first, then environment) but connects to
// nothing: each resource opens what it needs, so a missing Fly token only troubles the
// resources that use Fly.
func (p *launchpadProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.Fly == nil {
		cfg.Fly = &flyModel{}
	}
	if cfg.OpenRouter == nil {
		cfg.OpenRouter = &openRouterModel{}
	}

	s := &peers.Settings{}
	resolve(&resp.Diagnostics, cfg.Store, path.Root("store"), setting.Store, setting.Get(setting.Store).Default, &s.Store)
	resolve(&resp.Diagnostics, cfg.PlatformSecret, path.Root("platform_secret"), setting.PlatformSecret, "", &s.PlatformSecret)
	resolve(&resp.Diagnostics, cfg.PlatformSecretPrevious, path.Root("platform_secret_previous"), setting.PlatformSecretPrevious, "", &s.PlatformSecretPrevious)
	resolve(&resp.Diagnostics, cfg.Fly.APIToken, path.Root("fly").AtName("api_token"), setting.FlyAPIToken, "", &s.FlyToken)
	resolve(&resp.Diagnostics, cfg.Fly.Org, path.Root("fly").AtName("org"), setting.FlyOrg, "", &s.FlyOrg)
	resolve(&resp.Diagnostics, cfg.Fly.BaseURL, path.Root("fly").AtName("base_url"), setting.FlyFlapsBaseURL, "", &s.FlyBaseURL)
	resolve(&resp.Diagnostics, cfg.OpenRouter.ManagementKey, path.Root("openrouter").AtName("management_key"), setting.OpenRouterManagement, "", &s.OpenRouterKey)
	resolve(&resp.Diagnostics, cfg.OpenRouter.BaseURL, path.Root("openrouter").AtName("base_url"), setting.OpenRouterAPIURL, "", &s.OpenRouterBaseURL)
	resolve(&resp.Diagnostics, cfg.OpenRouter.PooledKey, path.Root("openrouter").AtName("pooled_key"), setting.OpenRouterPooledKey, "", &s.PooledKey)
	resolveBool(&resp.Diagnostics, cfg.OpenRouter.BatchReads, path.Root("openrouter").AtName("batch_reads"), setting.OpenRouterBatchReads, true, &s.OpenRouterBatchReads)
	if resp.Diagnostics.HasError() {
		return
	}

	data := newProviderData(*s, p.now)
	data.checkPlatformSecret(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *launchpadProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewPlanResource,
		NewSubKeyResource,
		NewTenantResource,
	}
}

func (p *launchpadProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewPlanDataSource,
		NewTenantDataSource,
		NewTenantsDataSource,
	}
}
