package firestore

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// subKeyDoc is a sub-key record (launchpad_subkeys/{hash}); never the key itself.
type subKeyDoc struct {
	Hash               string     `firestore:"hash"`
	UserID             string     `firestore:"userId"`
	Plan               string     `firestore:"plan"`
	Name               string     `firestore:"name"`
	LimitUSD           float64    `firestore:"limitUsd"`
	LimitReset         string     `firestore:"limitReset"`
	IncludeBYOKInLimit bool       `firestore:"includeByokInLimit"`
	Disabled           bool       `firestore:"disabled"`
	RotationGeneration int64      `firestore:"rotationGeneration"`
	CreatedAt          *time.Time `firestore:"createdAt"`
	UpdatedAt          *time.Time `firestore:"updatedAt"`
}

var subKeyKind = recordKind[launchpad.SubKey, subKeyDoc]{
	what: "sub-key", keyName: "Hash",
	col: func(s *Store) string { return s.col.subKeys },
	key: func(k *launchpad.SubKey) string { return k.Hash },
	encode: func(k *launchpad.SubKey) *subKeyDoc {
		return &subKeyDoc{
			Hash: k.Hash, UserID: k.UserID, Plan: k.Plan, Name: k.Name, LimitUSD: k.LimitUSD,
			LimitReset: k.LimitReset, IncludeBYOKInLimit: k.IncludeBYOKInLimit,
			Disabled: k.Disabled, RotationGeneration: k.RotationGeneration,
			CreatedAt: ts(k.CreatedAt), UpdatedAt: ts(k.UpdatedAt),
		}
	},
	decode: func(d *subKeyDoc) *launchpad.SubKey {
		return &launchpad.SubKey{
			Hash: d.Hash, UserID: d.UserID, Plan: d.Plan, Name: d.Name, LimitUSD: d.LimitUSD,
			LimitReset: d.LimitReset, IncludeBYOKInLimit: d.IncludeBYOKInLimit,
			Disabled: d.Disabled, RotationGeneration: d.RotationGeneration,
			CreatedAt: fromTS(d.CreatedAt), UpdatedAt: fromTS(d.UpdatedAt),
		}
	},
	times: func(k *launchpad.SubKey) (*time.Time, *time.Time) { return &k.CreatedAt, &k.UpdatedAt },
}

// CreateSubKey stores a new sub-key record. ECONFLICT if the hash is taken.
func (s *Store) CreateSubKey(ctx context.Context, k *launchpad.SubKey) error {
	return createRecord(ctx, s, subKeyKind, k)
}

// GetSubKey returns the sub-key record with hash, or ENOTFOUND.
func (s *Store) GetSubKey(ctx context.Context, hash string) (*launchpad.SubKey, error) {
	return getRecord(ctx, s, subKeyKind, hash)
}

// ListSubKeys returns the sub-keys matching f, ordered by hash.
func (s *Store) ListSubKeys(ctx context.Context, f launchpad.SubKeyFilter) ([]*launchpad.SubKey, error) {
	return listRecords(ctx, s, subKeyKind, s.ownedBy(s.col.subKeys, f.UserID))
}

// UpdateSubKey applies fn to the stored record atomically; EINVALID if fn changes Hash.
func (s *Store) UpdateSubKey(ctx context.Context, hash string, fn func(*launchpad.SubKey) error) (*launchpad.SubKey, error) {
	return updateRecord(ctx, s, subKeyKind, hash, fn)
}

// DeleteSubKey removes the record, or returns ENOTFOUND.
func (s *Store) DeleteSubKey(ctx context.Context, hash string) error {
	return deleteRecord(ctx, s, subKeyKind, hash)
}
