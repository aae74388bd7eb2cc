package controlplane

import (
	"context"
	"errors"
	"log/slog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
)

// peerClients builds the Fly Machines client (operator exec, metering) and the OpenRouter
// key-management client (live spend, spend caps, revoke-key) from the environment the runner
// passes to the provider (runner.ProviderEnvVars), so the control plane and the tenants'
// applies talk to the same accounts. Either is nil when its token is unset. The error lists
// every setting refused. Building them makes no request.
func peerClients(ctx context.Context, env map[string]string, log *slog.Logger) (launchpad.Runtime, launchpad.KeyIssuer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var problems []error
	var rt launchpad.Runtime
	if env["FLY_API_TOKEN"] != "" {
		c, err := fly.New(ctx, fly.Config{BaseURL: env["FLY_FLAPS_BASE_URL"], Token: env["FLY_API_TOKEN"], Org: env["FLY_ORG"],
			Logger: log.With("component", "fly")})
		if err != nil {
			problems = append(problems, errors.New(launchpad.ErrorMessage(err)))
		} else {
			rt = c
		}
	}
	var keys launchpad.KeyIssuer
	if env["OPENROUTER_MANAGEMENT_KEY"] != "" {
		c, err := openrouter.New(openrouter.Config{BaseURL: env["OPENROUTER_API_URL"], ManagementKey: env["OPENROUTER_MANAGEMENT_KEY"],
			Logger: log.With("component", "openrouter")})
		if err != nil {
			problems = append(problems, errors.New(launchpad.ErrorMessage(err)))
		} else {
			keys = c
		}
	}
	return rt, keys, errors.Join(problems...)
}

// meterSummary is the metering loop's setting for the start-up log line.
func meterSummary(m *Metering) string {
	if m == nil {
		return "off"
	}
	return m.Interval.String()
}
