package subkey_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

func TestMintCapsTheKeyAndSealsIt(t *testing.T) {
	w, k := minted(t)

	at := w.key(k.Hash)
	if at == nil || at.Name != "launchpad-alice01" || at.Limit == nil || *at.Limit != 10 || at.LimitReset != "monthly" || at.IncludeBYOKInLimit {
		t.Fatalf("at OpenRouter: %+v, want launchpad-alice01 capped at 10 USD a month, BYOK not counted", at)
	}
	if k.UserID != "alice01" || k.Plan != "starter" || k.LimitUSD != 10 || k.LimitReset != "monthly" || k.RotationGeneration != 0 {
		t.Errorf("record %+v", k)
	}
	hash, plaintext := w.held(t, "alice01")
	if hash != k.Hash || w.or.Sim.Spend(plaintext, 0.01) != nil {
		t.Errorf("the user holds %s, want %s, opening to a key that spends", hash, k.Hash)
	}
	if rec, err := w.Store.GetSubKey(context.Background(), k.Hash); err != nil || rec.LimitUSD != 10 {
		t.Errorf("stored record %+v, %v", rec, err)
	}
	if id := w.subKeys().SealedKeyID(context.Background(), k); id != w.Keyring.CurrentKeyID() {
		t.Errorf("sealed under %q, want the current key %q", id, w.Keyring.CurrentKeyID())
	}
	ev := subkey.MintedEvent(k)
	if ev.Stream != "alice01" || ev.Action != launchpad.AuditKeyMinted || ev.Target != k.Hash ||
		!maps.Equal(ev.Details, map[string]string{"plan": "starter", "limit_usd": "10.00", "limit_reset": "monthly"}) {
		t.Errorf("minted event %+v", ev)
	}
}

// A process killed between OpenRouter's answer to a mint and the sealing of the key leaves a
// key that nobody can use: the next mint under that name deletes it first.
func TestMintDeletesAKeyLostToACrash(t *testing.T) {
	w := newWorld(t)
	limit := 10.0
	lost, err := w.issuer.CreateKey(context.Background(), launchpad.KeySpec{Name: "launchpad-alice01", LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly})
	if err != nil {
		t.Fatal(err)
	}
	k := w.mint(t)
	if w.key(lost.Info.Hash) != nil || k.Hash == lost.Info.Hash || len(w.or.Sim.Snapshot().Keys) != 1 {
		t.Errorf("keys at OpenRouter %+v, want only the new %s", w.or.Sim.Snapshot().Keys, k.Hash)
	}
}

// No key may exist that the store does not know: a mint whose record cannot be stored
// deletes the fresh key again.
func TestMintDeletesTheFreshKeyWhenItCannotBeStored(t *testing.T) {
	w := newWorld(t)
	st := &failingStore{Store: w.Store, createSubKey: launchpad.Errorf(launchpad.EUNAVAILABLE, "the store is down")}
	svc := subkey.NewService(subkey.Config{Store: st, Issuer: w.issuer, Keyring: w.Keyring})
	_, err := svc.Mint(context.Background(), "alice01", w.Starter, "launchpad-alice01", 0)
	mustCode(t, err, launchpad.EUNAVAILABLE)
	if keys := w.or.Sim.Snapshot().Keys; len(keys) != 0 {
		t.Errorf("keys left at OpenRouter: %+v", keys)
	}
}

func TestHeldForgetsAKeyDeletedOutside(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	svc := w.subKeys()
	if held, err := svc.Held(ctx, "alice01"); held != "" || err != nil {
		t.Fatalf("before any key: %q, %v", held, err)
	}
	k := w.mint(t)
	if held, err := svc.Held(ctx, "alice01"); held != k.Hash || err != nil {
		t.Fatalf("after the mint: %q, %v; want %s", held, err, k.Hash)
	}
	if err := w.issuer.DeleteKey(ctx, k.Hash); err != nil {
		t.Fatal(err)
	}
	if held, err := svc.Held(ctx, "alice01"); held != "" || err != nil {
		t.Fatalf("after the key was deleted at OpenRouter: %q, %v; want none", held, err)
	}
	if hash, _ := w.held(t, "alice01"); hash != "" {
		t.Errorf("the user still holds %s", hash)
	}
	w.noRecord(t, k.Hash)
}

// A plan change updates the key in place, and a cap changed at OpenRouter is seen by Refresh
// and put back by Update.
func TestUpdateChangesTheCapInPlaceAndPutsItBack(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	svc := w.subKeys()
	k := w.mint(t)
	daily, byok := launchpad.LimitResetDaily, true
	if _, err := w.issuer.UpdateKey(ctx, k.Hash, launchpad.KeyUpdate{LimitReset: &daily, IncludeBYOKInLimit: &byok}); err != nil {
		t.Fatal(err)
	}
	seen := *k
	if err := svc.Refresh(ctx, &seen); err != nil || seen.LimitReset != "daily" || !seen.IncludeBYOKInLimit {
		t.Fatalf("refresh after the change at OpenRouter: %+v, %v", seen, err)
	}

	got, err := svc.Update(ctx, k.Hash, w.Pro, "launchpad-alice01")
	if err != nil {
		t.Fatal(err)
	}
	at := w.key(k.Hash)
	if got.Hash != k.Hash || got.Plan != "pro" || got.LimitUSD != 50 || got.LimitReset != "monthly" || got.IncludeBYOKInLimit ||
		*at.Limit != 50 || at.LimitReset != "monthly" || at.IncludeBYOKInLimit {
		t.Errorf("after the update: record %+v, at OpenRouter %+v; want the same key capped at 50 USD a month", got, at)
	}
	if ev := subkey.LimitChangedEvent(got, 10); ev == nil || ev.Details["previous_limit_usd"] != "10.00" || ev.Details["limit_usd"] != "50.00" {
		t.Errorf("limit change event %+v", ev)
	}
	if ev := subkey.LimitChangedEvent(got, 50); ev != nil {
		t.Errorf("an unchanged limit is recorded: %+v", ev)
	}
}

func TestRefreshOfAKeyDeletedOutsideIsNotFound(t *testing.T) {
	ctx := context.Background()
	w, k := minted(t)
	if err := w.issuer.DeleteKey(ctx, k.Hash); err != nil {
		t.Fatal(err)
	}
	mustCode(t, w.subKeys().Refresh(ctx, k), launchpad.ENOTFOUND)
}

func TestRevokeIsIdempotent(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	svc := w.subKeys()
	k := w.mint(t)
	for i := range 2 {
		if err := svc.Revoke(ctx, "alice01", k.Hash); err != nil {
			t.Fatalf("revoke %d: %v", i+1, err)
		}
	}
	if w.key(k.Hash) != nil {
		t.Error("the key is still at OpenRouter")
	}
	if hash, plaintext := w.held(t, "alice01"); hash != "" || plaintext != "" {
		t.Errorf("the user still holds %s", hash)
	}
	w.noRecord(t, k.Hash)
	if ev := subkey.DestroyedEvent("alice01", k.Hash); ev.Action != launchpad.AuditKeyRevoked || ev.Details["reason"] != "destroyed" {
		t.Errorf("event %+v", ev)
	}
}

// An operator's revocation stops the key spending at once and keeps it as the user's key: a
// revoked key is still preferred to the pooled key.
func TestDisableStopsSpendingAndMarksTheRecord(t *testing.T) {
	ctx := context.Background()
	w, k := minted(t)
	_, plaintext := w.held(t, "alice01")
	if err := w.subKeys().Disable(ctx, k.Hash); err != nil {
		t.Fatal(err)
	}
	if err := w.or.Sim.Spend(plaintext, 0.01); !errors.Is(err, sim.ErrKeyUnauthorized) {
		t.Errorf("spending with the revoked key: %v, want 401", err)
	}
	if rec, err := w.Store.GetSubKey(ctx, k.Hash); err != nil || !rec.Disabled {
		t.Errorf("record %+v, %v; want it disabled", rec, err)
	}
	if hash, _ := w.held(t, "alice01"); hash != k.Hash {
		t.Errorf("the user holds %q, want the revoked key still", hash)
	}
}

func TestDisableOfAnUnknownKeyIsNotFound(t *testing.T) {
	w := newWorld(t)
	err := w.subKeys().Disable(context.Background(), "0123456789abcdef")
	mustCode(t, err, launchpad.ENOTFOUND)
	if got := launchpad.ErrorMessage(err); !strings.HasPrefix(got, "disabling sub-key 0123456789abcdef at OpenRouter") {
		t.Errorf("message %q", got)
	}
}

// The key spends nothing once OpenRouter disabled it: a record that could not follow is
// reported apart, and a missing record is no error at all.
func TestDisableWhoseRecordCannotFollow(t *testing.T) {
	ctx := context.Background()
	w, k := minted(t)
	st := &failingStore{Store: w.Store, updateSubKey: launchpad.Errorf(launchpad.EUNAVAILABLE, "the store is down")}
	err := subkey.NewService(subkey.Config{Store: st, Issuer: w.issuer}).Disable(ctx, k.Hash)
	var stale *subkey.StaleRecordError
	if !errors.As(err, &stale) || stale.Hash != k.Hash || launchpad.ErrorCode(stale.Err) != launchpad.EUNAVAILABLE {
		t.Fatalf("err = %v, want a *StaleRecordError carrying the store's error", err)
	}
	if !w.key(k.Hash).Disabled {
		t.Error("the key is not disabled at OpenRouter")
	}
	if err := w.Store.DeleteSubKey(ctx, k.Hash); err != nil {
		t.Fatal(err)
	}
	if err := w.subKeys().Disable(ctx, k.Hash); err != nil {
		t.Errorf("disabling a key without a record: %v", err)
	}
}

// A process whose platform secret is not the store's mints nothing and seals nothing: the key
// would open for no other process.
func TestMintWithAnotherPlatformSecretIsRefusedBeforeMinting(t *testing.T) {
	ctx := context.Background()
	w, _ := minted(t) // claims the store for the world's keyring
	other, err := envelope.NewKeyring("another-platform-secret-0123456789abcdef", "")
	if err != nil {
		t.Fatal(err)
	}
	before := len(w.or.Sim.Snapshot().Keys)
	svc := subkey.NewService(subkey.Config{Store: w.Store, Issuer: w.issuer, Keyring: other, Runtime: w.Runtime})
	_, err = svc.Mint(ctx, "bob02", w.Starter, "launchpad-bob02", 0)
	mustCode(t, err, launchpad.EINVALID)
	if !strings.Contains(err.Error(), "PLATFORM_SECRET") {
		t.Errorf("err = %v, want it to name PLATFORM_SECRET", err)
	}
	if n := len(w.or.Sim.Snapshot().Keys); n != before {
		t.Errorf("%d keys at OpenRouter after the refusal, want %d: nothing minted", n, before)
	}
	if _, err := w.Store.GetUser(ctx, "bob02"); !launchpad.IsNotFound(err) {
		t.Errorf("bob02's record: %v, want none (nothing sealed)", err)
	}
}

// Holds, the plan's check, counts the recorded key until OpenRouter says it is gone (without
// an issuer the record alone counts), and changes nothing.
func TestHoldsOnlyReads(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	svc, recordOnly := w.subKeys(), subkey.NewService(subkey.Config{Store: w.Store})
	if held := svc.Holds(ctx, "alice01"); held != "" {
		t.Fatalf("before any key: %q", held)
	}
	k := w.mint(t)
	if held := svc.Holds(ctx, "alice01"); held != k.Hash {
		t.Fatalf("after the mint: %q, want %s", held, k.Hash)
	}
	if err := w.issuer.DeleteKey(ctx, k.Hash); err != nil {
		t.Fatal(err)
	}
	if held := svc.Holds(ctx, "alice01"); held != "" {
		t.Errorf("after the key was deleted at OpenRouter: %q, want none", held)
	}
	if held := recordOnly.Holds(ctx, "alice01"); held != k.Hash {
		t.Errorf("without an issuer: %q, want the recorded %s", held, k.Hash)
	}
	if hash, _ := w.held(t, "alice01"); hash != k.Hash {
		t.Errorf("the user's record holds %q after the check, want %s still", hash, k.Hash)
	}
}

// Change updates the limit in place while the generation stays, and rotates when it moves;
// each says so in its audit event. Get refreshes the record from OpenRouter and says where a
// key went missing.
func TestChangeUpdatesOrRotatesAndGetSaysWhereAKeyIsGone(t *testing.T) {
	ctx := context.Background()
	w, k := minted(t)
	svc := w.subKeys()
	applied := subkey.Applied{Hash: k.Hash, LimitUSD: k.LimitUSD, Generation: 0}
	updated, ev, err := svc.Change(ctx, applied, w.Pro, k.Name, 0)
	if err != nil || updated.Hash != k.Hash || updated.LimitUSD != w.Pro.MonthlySpendLimitUSD || ev.Action != launchpad.AuditKeyLimitChanged {
		t.Fatalf("update: %+v, %+v, %v; want the same key at pro's limit", updated, ev, err)
	}
	rotated, ev, err := svc.Change(ctx, subkey.Applied{Hash: k.Hash, LimitUSD: updated.LimitUSD}, w.Pro, k.Name, 1)
	if err != nil || rotated.Hash == k.Hash || ev.Action != launchpad.AuditKeyRotated {
		t.Fatalf("rotate: %+v, %+v, %v; want a new key", rotated, ev, err)
	}

	got, atOpenRouter, err := svc.Get(ctx, rotated.Hash, "", 0)
	if err != nil || atOpenRouter || got.LimitUSD != w.Pro.MonthlySpendLimitUSD {
		t.Fatalf("get: %+v, %v, %v", got, atOpenRouter, err)
	}
	if _, atOpenRouter, err := svc.Get(ctx, k.Hash, "", 0); !launchpad.IsNotFound(err) || atOpenRouter {
		t.Errorf("get of the revoked key: %v (at OpenRouter %v), want its record gone", err, atOpenRouter)
	}
	if err := w.issuer.DeleteKey(ctx, rotated.Hash); err != nil {
		t.Fatal(err)
	}
	if _, atOpenRouter, err := svc.Get(ctx, rotated.Hash, "", 0); !launchpad.IsNotFound(err) || !atOpenRouter {
		t.Errorf("get of a key deleted at OpenRouter: %v (at OpenRouter %v)", err, atOpenRouter)
	}
}

// Only a key the store records can be imported: its plaintext exists nowhere else.
func TestCheckImportableKnowsOnlyLaunchpadKeys(t *testing.T) {
	ctx := context.Background()
	w, k := minted(t)
	if err := w.subKeys().CheckImportable(ctx, k.Hash); err != nil {
		t.Errorf("a minted key: %v, want importable", err)
	}
	err := w.subKeys().CheckImportable(ctx, "minted-elsewhere-0001")
	mustCode(t, err, launchpad.ENOTFOUND)
	if msg := launchpad.ErrorMessage(err); !strings.Contains(msg, "minted-elsewhere-0001") || !strings.Contains(msg, "launchpad_subkey") {
		t.Errorf("message %q, want it to name the key and launchpad_subkey", msg)
	}
}

// The plan's notice for a disabled key names the key and the user, and the two ways out.
func TestDisabledNoticeSaysHowToGetAWorkingKey(t *testing.T) {
	got := subkey.DisabledNotice("h4sh0001", "alice01")
	for _, want := range []string{"h4sh0001", "alice01", "rotation_generation", "re-enable"} {
		if !strings.Contains(got, want) {
			t.Errorf("notice %q does not say %q", got, want)
		}
	}
}
