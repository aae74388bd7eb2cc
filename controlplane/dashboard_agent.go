package controlplane

import (
	"context"
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// dashboardAgent is the agent page's way into the tenant actions (web.Agent): the same
// functions as the /api/me routes, with the session's user as the actor.
type dashboardAgent struct{ s *Server }

var _ web.Agent = dashboardAgent{}

func (a dashboardAgent) Restart(r *http.Request, sess *launchpad.Session) error {
	_, err := a.s.restartOwn(r.Context(), sess.UserID)
	return err
}

func (a dashboardAgent) Rebuild(r *http.Request, sess *launchpad.Session) error {
	_, err := a.s.rebuildOwn(r.Context(), sess.UserID)
	return err
}

func (a dashboardAgent) Reset(r *http.Request, sess *launchpad.Session) error {
	if err := a.s.auth.RequireStepUp(auth.CallerOf(sess)); err != nil {
		return err
	}
	if err := a.s.limits.rotationsPerUser.Take(sess.UserID, a.s.now()); err != nil {
		return err
	}
	if _, err := a.s.ownTenant(r.Context(), sess.UserID, "reset"); err != nil {
		return err
	}
	_, err := a.s.resetOwn(r.Context(), sess.UserID)
	return err
}

func (a dashboardAgent) RotateKey(r *http.Request, sess *launchpad.Session) error {
	if err := a.s.limits.rotationsPerUser.Take(sess.UserID, a.s.now()); err != nil {
		return err
	}
	_, err := a.s.rotateKey(r.Context(), sess.UserID, launchpad.UserActor(sess.UserID))
	return err
}

func (a dashboardAgent) SetBYOK(r *http.Request, sess *launchpad.Session, key string) error {
	if err := a.s.auth.RequireStepUp(auth.CallerOf(sess)); err != nil {
		return err
	}
	_, err := a.s.setOwnBYOK(r.Context(), sess.UserID, key)
	return err
}

// Logs reads the agent's lines from Fly's log API when the runtime offers it.
func (a dashboardAgent) Logs(ctx context.Context, app string, max int) ([]*launchpad.LogLine, error) {
	lr, ok := a.s.runtime.(launchpad.LogReader)
	if !ok {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "this control plane's Fly client cannot read logs")
	}
	return lr.RecentLogs(ctx, app, max)
}

// dashboardAgent is the agent page's actions, or nil (no actions shown) when Fly is not
// configured.
func (s *Server) dashboardAgent() web.Agent {
	if s.runtime == nil {
		return nil
	}
	return dashboardAgent{s}
}
