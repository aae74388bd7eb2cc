package fly

import (
	"context"
	"errors"
	"fmt"
	"time"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// maxWaitChunk is the longest single wait request: Fly (and flaps) cap one at 60 seconds.
const maxWaitChunk = 60 * time.Second

// WaitMachine waits until the machine reaches state, or timeout passes (EUNAVAILABLE). It
// reads the machine first (already there: done; otherwise its instance id scopes the wait),
// then asks Fly's wait endpoint in chunks of at most a minute; Fly's 408 ("not yet") just
// starts the next chunk.
func (c *Client) WaitMachine(ctx context.Context, app, id string, state launchpad.MachineState, timeout time.Duration) error {
	if err := required("machine state", string(state)); err != nil {
		return err
	}
	if timeout <= 0 {
		return launchpad.Errorf(launchpad.EINVALID, "waiting for machine %s of app %s: the timeout is %s; give a positive duration", id, app, timeout)
	}
	op := fmt.Sprintf("waiting for machine %s of app %s to be %s", id, app, state)
	deadline := c.now().Add(timeout)
	for {
		m, err := c.getMachine(ctx, app, id, op)
		if launchpad.IsNotFound(err) && state == launchpad.MachineDestroyed {
			return nil
		}
		if err != nil {
			return err
		}
		if launchpad.MachineState(m.State) == state {
			return nil
		}
		remaining := deadline.Sub(c.now())
		if remaining <= 0 {
			return launchpad.Errorf(launchpad.EUNAVAILABLE, "%s: still %s after %s; the machine may be stuck (look at its events), or give it more time", op, m.State, timeout)
		}
		chunk := min(remaining, maxWaitChunk)
		var notYet bool
		err = c.call(ctx, op, callOptions{attemptTimeout: chunk + c.timeout}, func(ctx context.Context) error {
			notYet = false
			err := c.flaps.Wait(ctx, app, &fly.Machine{ID: id, InstanceID: m.InstanceID}, string(state), chunk)
			var se *retry.StatusError
			if errors.As(err, &se) && se.Status == 408 {
				notYet = true
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
		if !notYet {
			return nil
		}
	}
}
