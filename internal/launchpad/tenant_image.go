package launchpad

import "context"

// ImageSource is what TenantImage reads: the fleet's image and the rollouts.
type ImageSource interface {
	GetFleet(ctx context.Context) (*Fleet, error)
	ListRollouts(ctx context.Context, limit int) ([]*Rollout, error)
}

// TenantImage is the agent image an apply of userID's tenant runs when the customer chose
// none at checkout — whatever asked for the apply (a Stripe webhook, an operator, a plan
// rollout): the image of the newest image rollout still in progress (running or paused)
// that has already changed the tenant, else the fleet's image. So a tenant's own apply
// during a rollout never puts it back on the old image once the rollout moved it (only an
// abort does, and says so), and never moves a tenant the rollout has not reached yet: that
// tenant gets the new image from the rollout's own apply, in its wave, behind the health
// gate of the tenants before it.
func TenantImage(ctx context.Context, st ImageSource, userID string) (string, error) {
	rs, err := st.ListRollouts(ctx, 100)
	if err != nil {
		return "", err
	}
	for _, r := range rs {
		if r.Image == "" || (r.State != RolloutRunning && r.State != RolloutPaused) {
			continue
		}
		for _, t := range r.Tenants {
			if t.UserID == userID && t.Changed() && t.Status != TenantRolledBack {
				return r.Image, nil
			}
		}
	}
	f, err := st.GetFleet(ctx)
	if err != nil {
		return "", err
	}
	return f.Image, nil
}
