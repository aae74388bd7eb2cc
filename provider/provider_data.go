package provider

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/peers"
	"github.com/clawdrun/terraform-provider-launchpad/internal/runplan"
	setting "github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// resolve fills into from v, or from the environment variable env, or dflt. An unknown value
// (one that depends on a resource not yet created) cannot configure a provider: that is an
// error on the attribute, naming the variable to use instead.
func resolve(diags *diag.Diagnostics, v types.String, p path.Path, env, dflt string, into *string) {
	if v.IsUnknown() {
		unknownSetting(diags, p, env)
		return
	}
	*into = setting.Resolve(v.ValueStringPointer(), os.Getenv, env, dflt)
}

// resolveBool is resolve for a boolean setting: the environment variable takes true/false
// (or 1/0); anything else is an error naming the variable.
func resolveBool(diags *diag.Diagnostics, v types.Bool, p path.Path, env string, dflt bool, into *bool) {
	if v.IsUnknown() {
		unknownSetting(diags, p, env)
		return
	}
	b, err := setting.ResolveBool(v.ValueBoolPointer(), os.Getenv, env, dflt)
	if err != nil {
		diags.AddAttributeError(p, "Invalid provider setting", err.Error())
		return
	}
	*into = b
}

// unknownSetting reports a setting that depends on a resource not yet created, naming the
// variable to use instead.
func unknownSetting(diags *diag.Diagnostics, p path.Path, env string) {
	diags.AddAttributeError(p, "Unknown provider setting",
		fmt.Sprintf("The provider cannot be configured with a value that is only known after apply. "+
			"Set %s to a known value, or leave it out and set the environment variable %s.", p, env))
}

// providerData is handed to every resource and data source. It opens each dependency on first
// use and keeps it for the life of the provider process, so that a plan of a thousand
// resources opens the store once.
type providerData struct {
	peers *peers.Peers
	now   func() time.Time
	// run is what this run (one Configure: one plan or apply walk) plans through the provider.
	run *runplan.Run
}

func newProviderData(s peers.Settings, now func() time.Time) *providerData {
	return &providerData{peers: peers.New(s, now, slog.New(tflogHandler{})), now: now, run: runplan.New()}
}

// Store opens LAUNCHPAD_STORE on first use.
func (d *providerData) Store(ctx context.Context) (launchpad.Store, diag.Diagnostics) {
	st, problems := d.peers.Store(ctx)
	return st, problemDiags(problems)
}

// checkPlatformSecret runs when the provider is configured, so that every plan checks it
// before anything is changed: a platform secret that is set must be at least 32 bytes, and
// must be the store's (peers.Peers.CheckPlatformSecret): a different PLATFORM_SECRET — a new
// shell's random one, one rotate-secret retired — fails here, once, naming the attribute,
// instead of destroying tenants it then cannot rebuild. Without a secret nothing is checked:
// the resources that need one say so.
func (d *providerData) checkPlatformSecret(ctx context.Context, diags *diag.Diagnostics) {
	for _, p := range d.peers.CheckPlatformSecret(ctx) {
		detail := p.Detail
		if p.Err != nil {
			detail += errorDetail(p.Err)
		}
		diags.AddAttributeError(path.Root(p.Attr), p.Summary, detail)
	}
}

// problemDiags reports each problem of a peer (a setting that is missing or cannot be used)
// as an error.
func problemDiags(problems []peers.Problem) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, p := range problems {
		diags.AddError(p.Summary, p.Detail)
	}
	return diags
}
