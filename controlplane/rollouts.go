package controlplane

import (
	"context"
	"net/http"
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/rollout"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// RolloutStarted answers POST /api/admin/rollouts (202).
type RolloutStarted struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Total int    `json:"total"`
}

// RolloutJSON is a rollout as the admin API shows it: its state, counts and, for one
// rollout, each tenant's outcome.
type RolloutJSON struct {
	*launchpad.Rollout
	Counts launchpad.RolloutCounts `json:"counts"`
	// HealthTimeout repeats policy.health_timeout in words ("5m0s").
	HealthTimeout string `json:"health_timeout"`
}

// RolloutList answers GET /api/admin/rollouts: the newest first, without their tenants.
type RolloutList struct {
	Rollouts []RolloutJSON `json:"rollouts"`
}

func rolloutJSON(r *launchpad.Rollout, withTenants bool) RolloutJSON {
	c := *r
	if !withTenants {
		c.Tenants = nil
	}
	return RolloutJSON{Rollout: &c, Counts: r.Counts(), HealthTimeout: r.Policy.HealthTimeout.String()}
}

// handleAdminStartRollout starts a rollout: 202 with its id, state and number of tenants.
func (s *Server) handleAdminStartRollout(w http.ResponseWriter, r *http.Request, req *rollout.Request) (*RolloutStarted, error) {
	actor, err := s.adminActor(r)
	if err != nil {
		return nil, err
	}
	ro, err := s.bg.rollouts.Start(r.Context(), *req, actor)
	if err != nil {
		return nil, err
	}
	return &RolloutStarted{ID: ro.ID, State: ro.State, Total: len(ro.Tenants)}, nil
}

// handleAdminRollouts lists the newest rollouts (?limit=, default 20).
func (s *Server) handleAdminRollouts(w http.ResponseWriter, r *http.Request) (*RolloutList, error) {
	q, err := queryParams(r, "limit")
	if err != nil {
		return nil, err
	}
	limit := 20
	if l, ok := q["limit"]; ok {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > 100 {
			return nil, launchpad.Errorf(launchpad.EINVALID, "limit %q is not valid: use 1 to 100", launchpad.Clip(l, 20))
		}
	}
	rs, err := s.bg.rollouts.List(r.Context(), limit)
	if err != nil {
		return nil, err
	}
	out := &RolloutList{Rollouts: []RolloutJSON{}}
	for _, ro := range rs {
		out.Rollouts = append(out.Rollouts, rolloutJSON(ro, false))
	}
	return out, nil
}

// handleAdminRollout shows one rollout with each tenant's outcome.
func (s *Server) handleAdminRollout(w http.ResponseWriter, r *http.Request) (*RolloutJSON, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	ro, err := s.bg.rollouts.Get(r.Context(), r.PathValue("id"))
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "there is no rollout %s", r.PathValue("id"))
	} else if err != nil {
		return nil, err
	}
	out := rolloutJSON(ro, true)
	return &out, nil
}

// rolloutAction adapts Engine.Pause, Resume and Abort to a route.
func (s *Server) rolloutAction(act func(e *rollout.Engine) func(ctx context.Context, id, actor string) (*launchpad.Rollout, error)) func(http.ResponseWriter, *http.Request, *struct{}) (*RolloutJSON, error) {
	return func(w http.ResponseWriter, r *http.Request, _ *struct{}) (*RolloutJSON, error) {
		actor, err := s.adminActor(r)
		if err != nil {
			return nil, err
		}
		ro, err := act(s.bg.rollouts)(r.Context(), r.PathValue("id"), actor)
		if err != nil {
			return nil, err
		}
		out := rolloutJSON(ro, true)
		return &out, nil
	}
}

// adminActor is who an admin request acts as: the operator X-Launchpad-Operator names, else
// the admin token. It also refuses query parameters.
func (s *Server) adminActor(r *http.Request) (string, error) {
	if _, err := queryParams(r); err != nil {
		return "", err
	}
	if name := r.Header.Get(operator.OperatorHeader); name != "" {
		if err := launchpad.ValidateOperatorName(name); err != nil {
			return "", err
		}
		return launchpad.OperatorActor(name), nil
	}
	return launchpad.ActorAdminToken, nil
}

// The rollout actions, for rolloutAction.
func pauseRollout(e *rollout.Engine) func(context.Context, string, string) (*launchpad.Rollout, error) {
	return e.Pause
}

func resumeRollout(e *rollout.Engine) func(context.Context, string, string) (*launchpad.Rollout, error) {
	return e.Resume
}

func abortRollout(e *rollout.Engine) func(context.Context, string, string) (*launchpad.Rollout, error) {
	return e.Abort
}
