package envelope_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// memKeys is a launchpad.UserKeyStore in memory, for the users it was given.
type memKeys struct {
	mu       sync.Mutex
	users    map[string]bool
	material map[string][]byte
}

func newMemKeys(users ...string) *memKeys {
	m := &memKeys{users: map[string]bool{}, material: map[string][]byte{}}
	for _, u := range users {
		m.users[u] = true
	}
	return m
}

func (m *memKeys) GetUserKey(_ context.Context, userID string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.material[userID]; ok {
		return bytes.Clone(p), nil
	}
	return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no key material")
}

func (m *memKeys) CreateUserKey(_ context.Context, userID string, material []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.users[userID] {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no user")
	}
	if _, ok := m.material[userID]; !ok {
		m.material[userID] = bytes.Clone(material)
	}
	return bytes.Clone(m.material[userID]), nil
}

func (m *memKeys) DeleteUserKey(_ context.Context, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.material, userID)
	return nil
}

// TestSealerShredsWithTheKeyMaterial: a v2 value opens only with the platform secret and the
// user's material together; once the material is deleted, a copy of the value fails with
// ErrKeyErased, and neither the secret alone (Keyring.Open) nor material of another user opens it.
func TestSealerShredsWithTheKeyMaterial(t *testing.T) {
	ctx := t.Context()
	keys := newMemKeys(userID, otherID)
	kr := mustKeyring(t, secretA, "")
	s := envelope.NewSealer(kr, keys)
	plaintext := []byte("sk-or-v1-the-credential")

	sealed, err := s.Seal(ctx, plaintext, userID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "v2."+kr.CurrentKeyID()+".") {
		t.Fatalf("Sealer.Seal wrote %q..., want the v2 header under key id %s", sealed[:16], kr.CurrentKeyID())
	}
	material, err := keys.GetUserKey(ctx, userID)
	if err != nil || len(material) != launchpad.UserKeyLength {
		t.Fatalf("the first seal stored material of %d bytes (%v), want %d", len(material), err, launchpad.UserKeyLength)
	}
	again, err := s.Seal(ctx, plaintext, userID)
	if got, _ := keys.GetUserKey(ctx, userID); err != nil || !bytes.Equal(got, material) {
		t.Fatalf("a second seal changed the user's material (%v)", err)
	}
	for _, v := range []string{sealed, again} {
		got, err := s.Open(ctx, v, userID)
		if err != nil {
			t.Fatal(err)
		}
		equalBytes(t, got, plaintext)
	}

	_, err = kr.Open(sealed, userID)
	requireOnly(t, err, envelope.ErrNeedsUserKey)
	_, err = s.Open(ctx, sealed, otherID) // the other user has no material yet
	requireOnly(t, err, envelope.ErrKeyErased)
	if _, err := s.Seal(ctx, plaintext, otherID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Open(ctx, sealed, otherID)
	requireOnly(t, err, envelope.ErrDecrypt)
	_, err = kr.OpenWith(sealed, userID, bytes.Repeat([]byte{1}, launchpad.UserKeyLength))
	requireOnly(t, err, envelope.ErrDecrypt)
	_, err = mustKeyring(t, secretB, "").OpenWith(sealed, userID, material)
	requireOnly(t, err, envelope.ErrUnknownKeyID)

	v1, err := kr.Seal(plaintext, userID)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.DeleteUserKey(ctx, userID); err != nil {
		t.Fatal(err)
	}
	kr.Forget(userID)
	_, err = s.Open(ctx, sealed, userID)
	requireOnly(t, err, envelope.ErrKeyErased)
	if code := launchpad.ErrorCode(err); code != launchpad.EINVALID || !strings.Contains(err.Error(), "erased") {
		t.Fatalf("the error after erasure is %q (%s), want an EINVALID error saying the material was erased", err, code)
	}
	if got, err := s.Open(ctx, v1, userID); err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("a v1 value no longer opens after the material is deleted: %v", err)
	}
	if _, err := s.Seal(ctx, plaintext, "never-a-user"); launchpad.ErrorCode(err) != launchpad.ENOTFOUND {
		t.Fatalf("sealing for a user the store does not have: %v, want ENOTFOUND", err)
	}
}

// TestSealerResealKeepsTheMaterial: a rotation moves v1 and v2 values to the new secret in
// v2, with the user's material unchanged; values under the new key are left as they are.
func TestSealerResealKeepsTheMaterial(t *testing.T) {
	ctx := t.Context()
	keys := newMemKeys(userID)
	plaintext := []byte("totp-secret")
	old := envelope.NewSealer(mustKeyring(t, secretA, ""), keys)
	v2, err := old.Seal(ctx, plaintext, userID)
	if err != nil {
		t.Fatal(err)
	}
	material, _ := keys.GetUserKey(ctx, userID)
	v1 := mustSeal(t, old.Keyring(), plaintext, userID)

	rot := envelope.NewSealer(mustKeyring(t, secretB, secretA), keys)
	newOnly := envelope.NewSealer(mustKeyring(t, secretB, ""), keys)
	for name, v := range map[string]string{"v1": v1, "v2": v2} {
		if !rot.NeedsReseal(v) {
			t.Fatalf("%s: a value under the previous key does not need re-sealing", name)
		}
		resealed, err := rot.Reseal(ctx, v, userID)
		if err != nil {
			t.Fatalf("%s: Reseal: %v", name, err)
		}
		if ver, _ := envelope.Version(resealed); ver != "v2" || rot.NeedsReseal(resealed) {
			t.Fatalf("%s: re-sealed into %s, needs reseal %v; want v2 under the new key", name, ver, rot.NeedsReseal(resealed))
		}
		if got, err := newOnly.Open(ctx, resealed, userID); err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("%s: the re-sealed value does not open with the new secret alone: %v", name, err)
		}
		if same, err := rot.Reseal(ctx, resealed, userID); err != nil || same != resealed {
			t.Fatalf("%s: re-sealing again changed the value (%v)", name, err)
		}
	}
	if got, _ := keys.GetUserKey(ctx, userID); !bytes.Equal(got, material) {
		t.Fatal("the rotation changed the user's key material")
	}
}
