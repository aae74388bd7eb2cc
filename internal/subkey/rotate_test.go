package subkey_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// watchedFly checks, each time a key is delivered, that the key it replaces still works.
type watchedFly struct {
	launchpad.Runtime
	w       *world
	old     string
	failing error // when set, deliveries fail with it
	checked int
	t       *testing.T
}

func (f *watchedFly) SetSecret(ctx context.Context, app, name, value string) (*launchpad.Secret, error) {
	if f.failing != nil {
		return nil, f.failing
	}
	if f.w.key(f.old) == nil {
		f.t.Errorf("the old key %s was revoked before the new one reached %s", f.old, app)
	}
	f.checked++
	return f.Runtime.SetSecret(ctx, app, name, value)
}

func TestRotateDeliversBeforeRevoking(t *testing.T) {
	ctx := context.Background()
	w, old := minted(t)
	tn := w.tenantOn(t, old.Hash)
	fly := &watchedFly{Runtime: w.Runtime, w: w, old: old.Hash, t: t}
	svc := subkey.NewService(subkey.Config{Store: w.Store, Issuer: w.issuer, Keyring: w.Keyring, Runtime: fly})

	next, err := svc.Rotate(ctx, old.Hash, w.Starter, "launchpad-alice01", 1)
	if err != nil {
		t.Fatal(err)
	}
	hash, plaintext := w.held(t, "alice01")
	if next.Hash == old.Hash || hash != next.Hash || next.RotationGeneration != 1 || w.key(next.Hash).Name != "launchpad-alice01 r1" {
		t.Fatalf("rotated to %+v; the user holds %s", next, hash)
	}
	if fly.checked != 1 {
		t.Errorf("%d deliveries, want 1", fly.checked)
	}
	app := w.App(tn.AppName)
	if app.Secrets[0].Digest != sim.SecretDigest(plaintext) || app.Machines[0].State != "started" {
		t.Errorf("the tenant's secret %s on a %s machine, want the new key's, started", app.Secrets[0].Digest, app.Machines[0].State)
	}
	// The running machine itself runs the new key: Fly gives a machine new secrets only
	// through an update for their version, never through a stop and start.
	if m := app.Machines[0]; m.SecretsVersion != app.SecretsVersion || m.Secrets[launchpad.KeySecretName] != sim.SecretDigest(plaintext) {
		t.Errorf("the machine runs secrets version %d (key %s); the app is at %d with the new key %s",
			m.SecretsVersion, m.Secrets[launchpad.KeySecretName], app.SecretsVersion, sim.SecretDigest(plaintext))
	}
	rec, err := w.Store.GetTenant(ctx, tn.AppName)
	if err != nil || rec.SubKeyHash != next.Hash || rec.SecretDigest != sim.SecretDigest(plaintext) {
		t.Errorf("tenant record %+v, %v", rec, err)
	}
	if w.key(old.Hash) != nil {
		t.Errorf("the old key is still at OpenRouter")
	}
	w.noRecord(t, old.Hash)
	if ev := subkey.RotatedEvent(next, old.Hash); ev.Details["previous"] != old.Hash || ev.Details["generation"] != "1" || ev.Target != next.Hash {
		t.Errorf("rotation event %+v", ev)
	}
}

// A rotation killed after its mint (here: the delivery fails) leaves the tenant on the old
// key, still working, and running it again reuses the key it minted instead of minting
// another.
func TestRotateResumesWithTheKeyItMinted(t *testing.T) {
	ctx := context.Background()
	w, old := minted(t)
	_, oldKey := w.held(t, "alice01")
	tn := w.tenantOn(t, old.Hash)
	fly := &watchedFly{Runtime: w.Runtime, w: w, old: old.Hash, t: t, failing: launchpad.Errorf(launchpad.EUNAVAILABLE, "Fly is down")}
	svc := subkey.NewService(subkey.Config{Store: w.Store, Issuer: w.issuer, Keyring: w.Keyring, Runtime: fly})

	_, err := svc.Rotate(ctx, old.Hash, w.Starter, "launchpad-alice01", 1)
	if err == nil || !strings.Contains(err.Error(), "the old key "+old.Hash+" still works; apply again to resume") {
		t.Fatalf("rotation with Fly down: %v", err)
	}
	minted, _ := w.held(t, "alice01")
	rec, err := w.Store.GetTenant(ctx, tn.AppName)
	if err != nil || rec.SubKeyHash != old.Hash || w.App(tn.AppName).Secrets[0].Digest != sim.SecretDigest(oldKey) || w.or.Sim.Spend(oldKey, 0.01) != nil {
		t.Fatalf("after the interrupted rotation the tenant (%+v, %v) must still run on the old key, and it must work", rec, err)
	}

	fly.failing = nil
	next, err := svc.Rotate(ctx, old.Hash, w.Starter, "launchpad-alice01", 1)
	if err != nil {
		t.Fatal(err)
	}
	if next.Hash != minted || minted == old.Hash || len(w.or.Sim.Snapshot().Keys) != 1 {
		t.Errorf("resumed with %s and %d keys at OpenRouter, want the key minted before (%s) alone", next.Hash, len(w.or.Sim.Snapshot().Keys), minted)
	}
	if _, plaintext := w.held(t, "alice01"); w.App(tn.AppName).Secrets[0].Digest != sim.SecretDigest(plaintext) {
		t.Error("the resumed rotation did not deliver the new key")
	}
}

// A rotation killed between OpenRouter's answer and the sealing of the new key leaves a key
// nobody can use: running the rotation again deletes it and mints one it can deliver.
func TestRotateDeletesAKeyLostMidRotation(t *testing.T) {
	ctx := context.Background()
	w, old := minted(t)
	w.tenantOn(t, old.Hash)
	limit := 10.0
	lost, err := w.issuer.CreateKey(ctx, launchpad.KeySpec{Name: "launchpad-alice01 r1", LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly})
	if err != nil {
		t.Fatal(err)
	}
	next, err := w.subKeys().Rotate(ctx, old.Hash, w.Starter, "launchpad-alice01", 1)
	if err != nil {
		t.Fatal(err)
	}
	if next.Hash == lost.Info.Hash || w.key(lost.Info.Hash) != nil || len(w.or.Sim.Snapshot().Keys) != 1 {
		t.Errorf("keys at OpenRouter %+v, want only the new %s", w.or.Sim.Snapshot().Keys, next.Hash)
	}
}

func TestRotateWithoutFlyRefusesWhenTenantsRunOnTheKey(t *testing.T) {
	w, old := minted(t)
	tn := w.tenantOn(t, old.Hash)
	svc := subkey.NewService(subkey.Config{Store: w.Store, Issuer: w.issuer, Keyring: w.Keyring})
	_, err := svc.Rotate(context.Background(), old.Hash, w.Starter, "launchpad-alice01", 1)
	mustCode(t, err, launchpad.EINVALID)
	if !strings.Contains(err.Error(), tn.AppName) || len(w.or.Sim.Snapshot().Keys) != 1 {
		t.Errorf("err %q with %d keys at OpenRouter; want the tenant named and nothing minted", err, len(w.or.Sim.Snapshot().Keys))
	}
}
