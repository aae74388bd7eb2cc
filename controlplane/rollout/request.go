package rollout

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Request asks for a rollout (POST /api/admin/rollouts): a new image and/or a plan whose
// current definition is re-applied, which tenants, and how fast.
type Request struct {
	Image string `json:"image,omitempty"`
	Plan  string `json:"plan,omitempty"`
	// Plans and UserIDs narrow the tenants reached; empty means every tenant.
	Plans   []string `json:"plans,omitempty"`
	UserIDs []string `json:"user_ids,omitempty"`
	// Canary is how many tenants go first, alone (absent: 1; 0: none).
	Canary      *int `json:"canary,omitempty"`
	BatchSize   int  `json:"batch_size,omitempty"`
	MaxParallel int  `json:"max_parallel,omitempty"`
	// MaxFailures is a whole number of tenants (2) or a ratio of those reached (0.1).
	MaxFailures json.Number `json:"max_failures,omitempty"`
	// HealthTimeout is a Go duration such as "5m".
	HealthTimeout string `json:"health_timeout,omitempty"`
}

// policy validates the request's policy fields and returns the policy, defaults filled.
func (req Request) policy() (launchpad.RolloutPolicy, error) {
	var p launchpad.RolloutPolicy
	if req.Canary != nil {
		p.Canary = *req.Canary
		if p.Canary == 0 {
			p.Canary = -1 // "none", kept apart from "default" until WithDefaults
		}
	}
	p.BatchSize, p.MaxParallel = req.BatchSize, req.MaxParallel
	if req.MaxFailures != "" {
		f, err := strconv.ParseFloat(string(req.MaxFailures), 64)
		switch {
		case err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0):
			return p, launchpad.Errorf(launchpad.EINVALID, "max_failures %q is not valid: use a whole number of tenants such as 2, or a ratio below 1 such as 0.1", launchpad.Clip(string(req.MaxFailures), 20))
		case f > 0 && f < 1:
			p.MaxFailureRatio = f
		case f != math.Trunc(f):
			return p, launchpad.Errorf(launchpad.EINVALID, "max_failures %v is not valid: a number of 1 or more counts tenants and must be whole (2), a ratio is below 1 (0.1)", f)
		default:
			p.MaxFailures = int(f)
		}
	}
	if req.HealthTimeout != "" {
		d, err := time.ParseDuration(req.HealthTimeout)
		if err != nil {
			return p, launchpad.Errorf(launchpad.EINVALID, "health_timeout %q is not valid: use a duration such as 5m or 90s", launchpad.Clip(req.HealthTimeout, 20))
		}
		p.HealthTimeout = d
	}
	p = p.WithDefaults()
	if p.Canary == -1 {
		p.Canary = 0
	}
	return p, p.Validate()
}

// validate checks what the request changes and whom.
func (req Request) validate() error {
	if req.Image == "" && req.Plan == "" {
		return launchpad.Errorf(launchpad.EINVALID, "a rollout needs image (the agent image to move to) or plan (a plan whose current definition is re-applied), or both")
	}
	if req.Image != "" {
		if err := launchpad.ValidateImage(req.Image); err != nil {
			return launchpad.Errorf(launchpad.EINVALID, "image: %s", launchpad.ErrorMessage(err))
		}
	}
	if req.Plan != "" {
		if err := launchpad.ValidatePlanName(req.Plan); err != nil {
			return launchpad.Errorf(launchpad.EINVALID, "plan: %s", launchpad.ErrorMessage(err))
		}
	}
	for _, p := range req.Plans {
		if err := launchpad.ValidatePlanName(p); err != nil {
			return launchpad.Errorf(launchpad.EINVALID, "plans: %s", launchpad.ErrorMessage(err))
		}
	}
	for _, u := range req.UserIDs {
		if err := launchpad.ValidateUserID(u); err != nil {
			return launchpad.Errorf(launchpad.EINVALID, "user_ids: %s", launchpad.ErrorMessage(err))
		}
	}
	if len(req.Plans) > 100 || len(req.UserIDs) > 10000 {
		return launchpad.Errorf(launchpad.EINVALID, "plans (at most 100) or user_ids (at most 10000) lists too many; select by plan instead of listing users")
	}
	return nil
}

// selects reports whether the request's selection includes a tenant on plan of user.
func (req Request) selects(userID, plan string) bool {
	if len(req.UserIDs) > 0 && !slices.Contains(req.UserIDs, userID) {
		return false
	}
	if len(req.Plans) > 0 && !slices.Contains(req.Plans, plan) {
		return false
	}
	return req.Plan == "" || plan == req.Plan
}

func itoa(n int) string { return strconv.Itoa(n) }
