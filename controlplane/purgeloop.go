package controlplane

import (
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/purge"
)

// newPurgeLoop builds the purge loop of deps.Purge; nil when there is none to run.
func (s *Server) newPurgeLoop(deps Deps) (*loop, error) {
	if deps.Purge == nil {
		return nil, nil
	}
	p, err := purge.New(purge.Deps{
		Store: deps.Store, Config: *deps.Purge, Metrics: s.metrics, Runtime: deps.Runtime, AuditLog: deps.AuditLog,
		Logger: s.log.With("component", "purge"),
	})
	if err != nil {
		return nil, err
	}
	return &loop{name: "the purge loop", run: p.Run}, nil
}
