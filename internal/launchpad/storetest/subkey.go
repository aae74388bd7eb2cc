package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// subKeys is the sub-key records' part of the keyed-record contract.
var subKeys = keyed[launchpad.SubKey]{
	name: "SubKey", keyField: "Hash", keys: [2]string{"h1", "h2"},
	fresh:     func(hash string) *launchpad.SubKey { return newSubKey(hash, "u1") },
	scribble:  func(k *launchpad.SubKey) { k.UserID, k.LimitUSD, k.Disabled = "u2", 1, false },
	setKey:    func(k *launchpad.SubKey, hash string) { k.Hash = hash },
	updatedAt: func(k *launchpad.SubKey) *time.Time { return &k.UpdatedAt },
	counter:   func(k *launchpad.SubKey) *int64 { return &k.RotationGeneration },
	create:    launchpad.Store.CreateSubKey,
	get:       launchpad.Store.GetSubKey,
	update:    launchpad.Store.UpdateSubKey,
	remove:    launchpad.Store.DeleteSubKey,
	list: func(s launchpad.Store, ctx context.Context) ([]*launchpad.SubKey, error) {
		return s.ListSubKeys(ctx, launchpad.SubKeyFilter{})
	},
}

func subKeyCases() []testCase {
	return []testCase{
		{"subkey/create_get_list", testSubKeyCreateGetList},
		{"subkey/not_found", subKeys.notFound},
		{"subkey/conflict", subKeys.conflict},
		{"subkey/update", testSubKeyUpdate},
		{"subkey/update_rules", subKeys.updateRules},
		{"subkey/update_concurrent_counter", subKeys.updateConcurrent},
		{"subkey/delete", subKeys.deleted},
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

func testSubKeyUpdate(t *testing.T, s launchpad.Store) {
	subKeys.updated(t, s, func(k *launchpad.SubKey) { k.LimitUSD, k.Disabled, k.Plan = 50, false, "max" })
}
