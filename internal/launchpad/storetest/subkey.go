package storetest

import (
	"errors"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func subKeyCases() []testCase {
	return []testCase{
		{"subkey/create_get_list", testSubKeyCreateGetList},
		{"subkey/not_found", testSubKeyNotFound},
		{"subkey/conflict", testSubKeyConflict},
		{"subkey/update", testSubKeyUpdate},
		{"subkey/update_rules", testSubKeyUpdateRules},
		{"subkey/update_concurrent_counter", testSubKeyUpdateConcurrent},
		{"subkey/delete", testSubKeyDelete},
	}
}

func testSubKeyCreateGetList(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for _, k := range []*launchpad.SubKey{newSubKey("h3", "u1"), newSubKey("h1", "u2"), newSubKey("h2", "u1")} {
		wantOK(t, s.CreateSubKey(ctx, k), "CreateSubKey "+k.Hash)
	}
	got, err := s.GetSubKey(ctx, "h2")
	wantOK(t, err, "GetSubKey")
	wantEqual(t, "GetSubKey", got, newSubKey("h2", "u1"))
	list, err := s.ListSubKeys(ctx, launchpad.SubKeyFilter{UserID: "u1"})
	wantOK(t, err, "ListSubKeys(u1)")
	wantEqual(t, "ListSubKeys(u1) ordered by hash", list, []*launchpad.SubKey{newSubKey("h2", "u1"), newSubKey("h3", "u1")})
	list, err = s.ListSubKeys(ctx, launchpad.SubKeyFilter{})
	wantOK(t, err, "ListSubKeys(all)")
	wantEqual(t, "ListSubKeys(all)", list, []*launchpad.SubKey{newSubKey("h1", "u2"), newSubKey("h2", "u1"), newSubKey("h3", "u1")})

	// A copy, not the stored record.
	list[0].Disabled = false
	got, err = s.GetSubKey(ctx, "h1")
	wantOK(t, err, "GetSubKey h1")
	wantEqual(t, "sub-key after mutating a listed copy", got, newSubKey("h1", "u2"))
}

func testSubKeyNotFound(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.GetSubKey(ctx, "missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetSubKey of a missing hash")
	_, err = s.UpdateSubKey(ctx, "missing", func(*launchpad.SubKey) error { return nil })
	wantCode(t, err, launchpad.ENOTFOUND, "UpdateSubKey of a missing hash")
	wantCode(t, s.DeleteSubKey(ctx, "missing"), launchpad.ENOTFOUND, "DeleteSubKey of a missing hash")
	list, err := s.ListSubKeys(ctx, launchpad.SubKeyFilter{})
	wantOK(t, err, "ListSubKeys on an empty store")
	if len(list) != 0 {
		t.Fatalf("ListSubKeys on an empty store returned %d", len(list))
	}
}

func testSubKeyConflict(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateSubKey(ctx, newSubKey("h1", "u1")), "CreateSubKey")
	wantCode(t, s.CreateSubKey(ctx, newSubKey("h1", "u2")), launchpad.ECONFLICT, "CreateSubKey with a taken hash")
	got, err := s.GetSubKey(ctx, "h1")
	wantOK(t, err, "GetSubKey")
	wantEqual(t, "sub-key after a refused duplicate", got, newSubKey("h1", "u1"))
}

func testSubKeyUpdate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateSubKey(ctx, newSubKey("h1", "u1")), "CreateSubKey")
	got, err := s.UpdateSubKey(ctx, "h1", func(k *launchpad.SubKey) error {
		k.LimitUSD = 50
		k.Disabled = false
		k.Plan = "max"
		return nil
	})
	wantOK(t, err, "UpdateSubKey")
	want := newSubKey("h1", "u1")
	want.LimitUSD, want.Disabled, want.Plan = 50, false, "max"
	if got.UpdatedAt.IsZero() || got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("UpdateSubKey did not set UpdatedAt (still %s)", got.UpdatedAt)
	}
	want.UpdatedAt = got.UpdatedAt
	wantEqual(t, "UpdateSubKey result", got, want)
	got, err = s.GetSubKey(ctx, "h1")
	wantOK(t, err, "GetSubKey")
	wantEqual(t, "GetSubKey after UpdateSubKey", got, want)
}

func testSubKeyUpdateRules(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateSubKey(ctx, newSubKey("h1", "u1")), "CreateSubKey")
	sentinel := errors.New("caller says no")
	_, err := s.UpdateSubKey(ctx, "h1", func(k *launchpad.SubKey) error { k.LimitUSD = 1; return sentinel })
	if !errors.Is(err, sentinel) {
		t.Fatalf("UpdateSubKey returned %v, want fn's error", err)
	}
	_, err = s.UpdateSubKey(ctx, "h1", func(k *launchpad.SubKey) error { k.Hash = "h2"; return nil })
	wantCode(t, err, launchpad.EINVALID, "UpdateSubKey changing Hash")
	got, err := s.GetSubKey(ctx, "h1")
	wantOK(t, err, "GetSubKey")
	wantEqual(t, "sub-key after refused updates", got, newSubKey("h1", "u1"))
	_, err = s.GetSubKey(ctx, "h2")
	wantCode(t, err, launchpad.ENOTFOUND, "the hash an update tried to move to")
}

func testSubKeyUpdateConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	k := newSubKey("h1", "u1")
	k.RotationGeneration = 0
	wantOK(t, s.CreateSubKey(ctx, k), "CreateSubKey")
	Race(concurrency, func(i int) {
		if _, err := s.UpdateSubKey(ctx, "h1", func(k *launchpad.SubKey) error { k.RotationGeneration++; return nil }); err != nil {
			t.Errorf("UpdateSubKey #%d: %v", i, err)
		}
	})
	got, err := s.GetSubKey(ctx, "h1")
	wantOK(t, err, "GetSubKey")
	if got.RotationGeneration != concurrency {
		t.Fatalf("counter is %d after %d concurrent increments", got.RotationGeneration, concurrency)
	}
}

func testSubKeyDelete(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateSubKey(ctx, newSubKey("h1", "u1")), "CreateSubKey")
	wantOK(t, s.DeleteSubKey(ctx, "h1"), "DeleteSubKey")
	_, err := s.GetSubKey(ctx, "h1")
	wantCode(t, err, launchpad.ENOTFOUND, "GetSubKey after DeleteSubKey")
	wantCode(t, s.DeleteSubKey(ctx, "h1"), launchpad.ENOTFOUND, "DeleteSubKey twice")
	wantOK(t, s.CreateSubKey(ctx, newSubKey("h1", "u2")), "CreateSubKey with the freed hash")
}
