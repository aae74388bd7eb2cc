package tenant

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// DeliverKey sets the key as the tenant's app secret — never as plain env, never in state —
// and restarts a running machine so it boots with the new value. It returns Fly's digest of
// the secret. A stopped machine (an hour cap, say) is left stopped: it reads the secret when
// it starts. Sub-key rotation delivers its new key through it too.
func DeliverKey(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant, plaintext string) (string, error) {
	digest, err := rt.SetSecret(ctx, t.AppName, launchpad.KeySecretName, plaintext)
	if err != nil {
		return "", launchpad.Wrapf(err, "setting the model key secret of %s", t.AppName)
	}
	if t.MachineID == "" {
		return digest, nil
	}
	m, err := rt.GetMachine(ctx, t.AppName, t.MachineID)
	if err != nil {
		return "", launchpad.Wrapf(err, "reading machine %s of %s", t.MachineID, t.AppName)
	}
	if m.State != launchpad.MachineStarted {
		return digest, nil
	}
	if err := rt.StopMachine(ctx, t.AppName, t.MachineID); err != nil {
		return "", launchpad.Wrapf(err, "restarting machine %s of %s for its new key", t.MachineID, t.AppName)
	}
	if err := rt.WaitMachine(ctx, t.AppName, t.MachineID, launchpad.MachineStopped, machineWaitTime); err != nil {
		return "", launchpad.Wrapf(err, "waiting for machine %s of %s to stop", t.MachineID, t.AppName)
	}
	if err := rt.StartMachine(ctx, t.AppName, t.MachineID); err != nil {
		return "", launchpad.Wrapf(err, "starting machine %s of %s with its new key", t.MachineID, t.AppName)
	}
	if err := rt.WaitMachine(ctx, t.AppName, t.MachineID, launchpad.MachineStarted, machineWaitTime); err != nil {
		return "", launchpad.Wrapf(err, "waiting for machine %s of %s to start", t.MachineID, t.AppName)
	}
	t.MachineState = launchpad.MachineStarted
	return digest, nil
}
