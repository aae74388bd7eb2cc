package benchmark

import (
	"context"
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// machineUserMetadata is the machine metadata key in which the provider records whose tenant
// a machine is.
const machineUserMetadata = "launchpad_user_id"

// machineOn reports whether the Fly simulator holds exactly one live machine of userID's
// tenant and it is sized as plan p says.
func machineOn(fly sim.FlySnapshot, userID string, p stack.Plan) bool {
	var live []sim.MachineSnapshot
	for _, a := range fly.Apps {
		for _, m := range a.Machines {
			if m.State != "destroyed" && m.Metadata[machineUserMetadata] == userID {
				live = append(live, m)
			}
		}
	}
	if len(live) != 1 {
		return false
	}
	g := live[0].Guest
	return g.CPUKind == p.CPUKind && g.CPUs == p.CPUs && g.MemoryMB == p.Memory
}

// keyOn reports whether userID's sub-key (named launchpad-<user id> by the provider) is live
// at OpenRouter with plan p's monthly limit.
func keyOn(or sim.OpenRouterSnapshot, userID string, p stack.Plan) bool {
	for _, k := range or.Keys {
		if k.Name == "launchpad-"+userID && !k.Disabled {
			return k.Limit != nil && *k.Limit == p.LimitUSD
		}
	}
	return false
}

// awaitApplied reads the simulators every poll until they show userID's tenant on plan p —
// the machine with p's size and the sub-key with p's limit — and returns when the answer that
// showed it arrived. Fly is read first: the tenant depends on its sub-key, so tofu changes the
// key before the machine and the key is read only once the machine is done.
func awaitApplied(ctx context.Context, sb *stack.Sandbox, userID string, p stack.Plan, poll time.Duration) (time.Time, error) {
	for {
		fly, err := sb.Fly(ctx)
		if err != nil {
			return time.Time{}, fmt.Errorf("reading the Fly simulator: %w", err)
		}
		if machineOn(fly, userID, p) {
			or, err := sb.OpenRouter(ctx)
			if err != nil {
				return time.Time{}, fmt.Errorf("reading the OpenRouter simulator: %w", err)
			}
			if keyOn(or, userID, p) {
				return time.Now(), nil
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("the simulators never showed user %s's tenant on plan %s: %w", userID, p.Name, context.Cause(ctx))
		case <-time.After(poll):
		}
	}
}
