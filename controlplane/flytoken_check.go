package controlplane

import (
	"log/slog"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/flytoken"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// warnAboutFlyToken says at start-up when the Fly token of this host can open a shell on any
// tenant (it is the organization's token, not narrowed by fly-token), or when it refuses the
// command execution that this serve's operator exec needs. It reads the token offline, sends
// nothing to Fly, and never logs the token. A token for another endpoint (the sandbox's) is
// not Fly's kind and is left alone.
func warnAboutFlyToken(log *slog.Logger, env map[string]string, adminAPI bool) {
	token := env[settings.FlyAPIToken]
	if token == "" || !strings.HasPrefix(settings.Value(func(k string) string { return env[k] }, settings.FlyFlapsBaseURL), fly.DefaultBaseURL) {
		return
	}
	p, err := flytoken.Inspect(token)
	switch {
	case err != nil:
		log.Warn("FLY_API_TOKEN is not a Fly organization macaroon, so it cannot be narrowed, and whoever reads it on this host can open a shell on any tenant with Fly's own tools; " +
			"create one with `fly tokens create org` and give this host the token `terraform-provider-launchpad fly-token --for serve` prints")
	case p.SSH:
		log.Warn("FLY_API_TOKEN is the organization's token, not narrowed: whoever reads it on this host can open a shell on any tenant with Fly's own tools (fly ssh console), outside Launchpad's audit; " +
			"give this host the token `terraform-provider-launchpad fly-token --for serve` (or serve-with-exec) prints")
	case !p.Commands && adminAPI:
		log.Warn("FLY_API_TOKEN refuses command execution (a fly-token serve token), so operator exec (POST /api/admin/tenants/{user_id}/exec) will fail; " +
			"narrow the token with --for serve-with-exec if this serve needs it")
	}
}
