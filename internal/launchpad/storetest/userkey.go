package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func userKeyCases() []testCase {
	return []testCase{
		{"user_keys/create_read_delete", testUserKeyLifecycle},
		{"user_keys/one_material_wins_concurrent", testUserKeyConcurrent},
		{"user_keys/erasure_shreds_sealed_values", testUserKeyErasureShreds},
	}
}

// testUserKeyLifecycle: no material until created; a second creation keeps the first; only
// for users that exist and of the right length; deleting is idempotent.
func testUserKeyLifecycle(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, newUser("keyed")), "CreateUser")
	_, err := s.GetUserKey(ctx, "keyed")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUserKey before any was created")

	first := randomBytes(11, launchpad.UserKeyLength)
	got, err := s.CreateUserKey(ctx, "keyed", first)
	wantOK(t, err, "CreateUserKey")
	wantEqual(t, "the material CreateUserKey returned", got, first)
	got, err = s.CreateUserKey(ctx, "keyed", randomBytes(12, launchpad.UserKeyLength))
	wantOK(t, err, "a second CreateUserKey")
	wantEqual(t, "the material a second CreateUserKey returned (the first's)", got, first)
	got, err = s.GetUserKey(ctx, "keyed")
	wantOK(t, err, "GetUserKey")
	wantEqual(t, "GetUserKey", got, first)
	got[0] ^= 0xff
	again, _ := s.GetUserKey(ctx, "keyed")
	wantEqual(t, "GetUserKey after the caller changed its copy", again, first)

	_, err = s.CreateUserKey(ctx, "nobody", first)
	wantCode(t, err, launchpad.ENOTFOUND, "CreateUserKey for a user who does not exist")
	for _, n := range []int{0, 16, launchpad.UserKeyLength + 1} {
		_, err = s.CreateUserKey(ctx, "keyed", make([]byte, n))
		wantCode(t, err, launchpad.EINVALID, "CreateUserKey with material of the wrong length")
	}

	wantOK(t, s.DeleteUserKey(ctx, "keyed"), "DeleteUserKey")
	_, err = s.GetUserKey(ctx, "keyed")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUserKey after DeleteUserKey")
	wantOK(t, s.DeleteUserKey(ctx, "keyed"), "DeleteUserKey of material already deleted")
}

// testUserKeyConcurrent: first seals racing agree on one material.
func testUserKeyConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, newUser("racer")), "CreateUser")
	const n = 8
	got := make([][]byte, n)
	Race(n, func(i int) {
		m, err := s.CreateUserKey(ctx, "racer", randomBytes(uint64(100+i), launchpad.UserKeyLength))
		if err != nil {
			t.Errorf("CreateUserKey %d: %v", i, err)
		}
		got[i] = m
	})
	stored, err := s.GetUserKey(ctx, "racer")
	wantOK(t, err, "GetUserKey")
	for i, m := range got {
		if !bytes.Equal(m, stored) {
			t.Fatalf("racing creation %d returned material other than the stored one", i)
		}
	}
}

// testUserKeyErasureShreds: a credential sealed for a user, and a copy of it kept aside,
// stop opening once EraseUser ran — with the same keyring, which still opens another user's.
func testUserKeyErasureShreds(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	kr, err := envelope.NewKeyring("storetest-platform-secret-0123456789abcdef", "")
	wantOK(t, err, "NewKeyring")
	sealer := envelope.NewSealer(kr, s)
	copies := map[string]string{}
	for _, id := range []string{"shredded", "kept"} {
		wantOK(t, s.CreateUser(ctx, newUser(id)), "CreateUser "+id)
		copies[id], err = sealer.Seal(ctx, []byte("sk-or-v1-"+id), id)
		wantOK(t, err, "Seal for "+id)
	}
	wantOK(t, s.EraseUser(ctx, launchpad.UserErasure{UserID: "shredded", Email: "shredded@example.com"}), "EraseUser")
	_, err = s.GetUserKey(ctx, "shredded")
	wantCode(t, err, launchpad.ENOTFOUND, "the key material of an erased user")
	if _, err := sealer.Open(ctx, copies["shredded"], "shredded"); !errors.Is(err, envelope.ErrKeyErased) {
		t.Fatalf("opening a copy of an erased user's credential: %v, want ErrKeyErased", err)
	}
	_, err = sealer.Seal(ctx, []byte("again"), "shredded")
	wantCode(t, err, launchpad.ENOTFOUND, "sealing for an erased user (no new material)")
	p, err := sealer.Open(ctx, copies["kept"], "kept")
	wantOK(t, err, "opening another user's credential")
	wantEqual(t, "another user's credential", string(p), "sk-or-v1-kept")
}
