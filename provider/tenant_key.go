package provider

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// keyChoice is a resolved model key: where it comes from and its plaintext, which exists only
// in memory on its way to Fly.
type keyChoice struct {
	source     launchpad.KeySource
	subKeyHash string
	plaintext  string
}

// resolveKeySource applies launchpad.ResolveKey to what the store holds for the user — a
// sealed BYOK key, the sealed sub-key named by subKeyHash, or the pooled key — without opening
// anything (plans compare the source; only applies need the plaintext).
func resolveKeySource(ctx context.Context, st launchpad.Store, pooledKey string, userID, subKeyHash string, plan *launchpad.Plan) (launchpad.KeySource, *launchpad.User, error) {
	u, err := st.GetUser(ctx, userID)
	if launchpad.IsNotFound(err) {
		u = &launchpad.User{ID: userID, Plan: launchpad.TrialPlan}
	} else if err != nil {
		return "", nil, launchpad.Wrapf(err, "reading user %s", userID)
	}
	avail := launchpad.KeyAvailability{
		HasBYOK:          u.BYOKKey != "",
		HasPooled:        pooledKey != "",
		Plan:             plan.Name,
		PlanAllowsPooled: plan.AllowPooledKey,
	}
	if subKeyHash != "" {
		if u.OpenRouterKeyHash != subKeyHash || u.OpenRouterKey == "" {
			return "", nil, launchpad.Errorf(launchpad.EINVALID, "subkey_hash %s is not the sub-key of user %s (the user's is %q); "+
				"set subkey_hash = launchpad_subkey.<name>.hash of that user's key", subKeyHash, userID, u.OpenRouterKeyHash)
		}
		avail.HasSubKey = true
		if k, err := st.GetSubKey(ctx, subKeyHash); err == nil {
			avail.SubKeyDisabled = k.Disabled
		}
	}
	source, err := launchpad.ResolveKey(avail)
	return source, u, err
}

// resolveTenantKey resolves the key source and opens the key it names.
func resolveTenantKey(ctx context.Context, st launchpad.Store, kr *envelope.Keyring, pooledKey string, userID, subKeyHash string, plan *launchpad.Plan) (*keyChoice, error) {
	source, u, err := resolveKeySource(ctx, st, pooledKey, userID, subKeyHash, plan)
	if err != nil {
		return nil, err
	}
	choice := &keyChoice{source: source}
	switch source {
	case launchpad.KeySourceBYOK:
		choice.plaintext, err = openSealed(kr, u.BYOKKey, userID, "BYOK key")
	case launchpad.KeySourceSubKey:
		choice.subKeyHash = subKeyHash
		choice.plaintext, err = openSealed(kr, u.OpenRouterKey, userID, "sub-key")
	case launchpad.KeySourcePooled:
		choice.plaintext = pooledKey
	}
	if err != nil {
		return nil, err
	}
	return choice, nil
}

func openSealed(kr *envelope.Keyring, sealed, userID, what string) (string, error) {
	p, err := kr.Open(sealed, userID)
	if err != nil {
		return "", launchpad.Errorf(launchpad.EINVALID, "the stored %s of user %s does not open with the configured platform secret "+
			"(was PLATFORM_SECRET changed without PLATFORM_SECRET_PREVIOUS and rotate-secret?): %s", what, userID, launchpad.ErrorMessage(err))
	}
	return string(p), nil
}

// deliverKey sets the key as the tenant's app secret — never as plain env, never in state —
// and restarts a running machine so it boots with the new value. It returns Fly's digest.
// A stopped machine (an hour cap, say) is left stopped: it reads the secret when it starts.
func deliverKey(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant, plaintext string) (string, error) {
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

// storeBYOK seals a bring-your-own key into the user's record, or removes it when key is "".
func storeBYOK(ctx context.Context, st launchpad.Store, kr *envelope.Keyring, userID, key string) error {
	sealed := ""
	if key != "" {
		var err error
		if sealed, err = kr.Seal([]byte(key), userID); err != nil {
			return err
		}
	}
	if _, _, err := launchpad.EnsureUserByID(ctx, st, userID); err != nil {
		return err
	}
	_, err := st.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		u.BYOKKey = sealed
		return nil
	})
	return err
}
