package envelope_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

func newKeyStore(t *testing.T) launchpad.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "launchpad.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// The first seal claims a fresh store for its key; a process with another secret is refused
// before it seals, with an error that names the setting and shows no secret.
func TestClaimStoreRefusesAnotherSecret(t *testing.T) {
	st := newKeyStore(t)
	a, b := mustKeyring(t, secretA, ""), mustKeyring(t, secretB, "")
	if err := b.CheckStore(t.Context(), st); err != nil {
		t.Fatalf("CheckStore on a fresh store: %v", err)
	}
	if err := a.ClaimStore(t.Context(), st); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	if err := a.CheckStore(t.Context(), st); err != nil {
		t.Fatalf("the claiming key: %v", err)
	}
	for _, check := range []func() error{
		func() error { return b.CheckStore(t.Context(), st) },
		func() error { return b.ClaimStore(t.Context(), st) },
	} {
		err := check()
		if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "PLATFORM_SECRET") || !strings.Contains(err.Error(), a.CurrentKeyID()) {
			t.Fatalf("another secret: %v, want EINVALID naming PLATFORM_SECRET and the store's key id", err)
		}
		for _, s := range []string{secretA, secretB} {
			if strings.Contains(err.Error(), s) {
				t.Fatal("the error shows a secret")
			}
		}
	}
	rec, _ := st.GetPlatformKeys(t.Context())
	if rec.Active != a.CurrentKeyID() {
		t.Fatalf("active key %s, want %s", rec.Active, a.CurrentKeyID())
	}
}

// A rotation: processes with the new secret and the old one as previous may seal (their key
// becomes the rotation's next key); once it completes, the old secret alone is refused.
func TestClaimStoreThroughARotation(t *testing.T) {
	ctx := t.Context()
	st := newKeyStore(t)
	old, rotating, next := mustKeyring(t, secretA, ""), mustKeyring(t, secretB, secretA), mustKeyring(t, secretB, "")
	if err := old.ClaimStore(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := rotating.ClaimStore(ctx, st); err != nil {
		t.Fatalf("a rotation's first seal: %v", err)
	}
	rec, _ := st.GetPlatformKeys(ctx)
	if rec.Active != old.CurrentKeyID() || rec.Next != next.CurrentKeyID() {
		t.Fatalf("during the rotation: %+v", rec)
	}
	if err := mustKeyring(t, secretC, secretA).ClaimStore(ctx, st); err == nil || !strings.Contains(err.Error(), "already under way") {
		t.Fatalf("a second rotation at once: %v", err)
	}
	if _, err := st.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		launchpad.CompleteRotation(k, next.CurrentKeyID())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := next.ClaimStore(ctx, st); err != nil {
		t.Fatalf("the new secret after the rotation: %v", err)
	}
	if err := old.CheckStore(ctx, st); err == nil || !strings.Contains(err.Error(), "retired") {
		t.Fatalf("the old secret after the rotation: %v, want refused as retired", err)
	}
}

// A store written before the record existed: its credentials say which key it has.
func TestClaimStoreWithoutARecordReadsTheSealedValues(t *testing.T) {
	ctx := t.Context()
	st := newKeyStore(t)
	old := mustKeyring(t, secretA, "")
	if err := st.CreateUser(ctx, &launchpad.User{ID: userID, BYOKKey: mustSeal(t, old, []byte("sk-byok"), userID)}); err != nil {
		t.Fatal(err)
	}
	other := mustKeyring(t, secretB, "")
	if err := other.CheckStore(ctx, st); err == nil || !strings.Contains(err.Error(), old.CurrentKeyID()) {
		t.Fatalf("another secret on a store sealed under %s: %v", old.CurrentKeyID(), err)
	}
	if err := other.ClaimStore(ctx, st); err == nil {
		t.Fatal("another secret claimed a store that holds credentials it cannot open")
	}
	if rec, _ := st.GetPlatformKeys(ctx); rec.Active != "" {
		t.Fatalf("a refused claim wrote %+v", rec)
	}
	// A rotation begun before the record existed keeps the old key active.
	rotating := mustKeyring(t, secretB, secretA)
	if err := rotating.ClaimStore(ctx, st); err != nil {
		t.Fatal(err)
	}
	if rec, _ := st.GetPlatformKeys(ctx); rec.Active != old.CurrentKeyID() || rec.Next != rotating.CurrentKeyID() {
		t.Fatalf("after the claim: %+v, want active %s and next %s", rec, old.CurrentKeyID(), rotating.CurrentKeyID())
	}
}
