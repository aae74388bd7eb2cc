package subkey_test

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

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

	got, atOpenRouter, err := svc.Get(ctx, rotated.Hash)
	if err != nil || atOpenRouter || got.LimitUSD != w.Pro.MonthlySpendLimitUSD {
		t.Fatalf("get: %+v, %v, %v", got, atOpenRouter, err)
	}
	if _, atOpenRouter, err := svc.Get(ctx, k.Hash); !launchpad.IsNotFound(err) || atOpenRouter {
		t.Errorf("get of the revoked key: %v (at OpenRouter %v), want its record gone", err, atOpenRouter)
	}
	if err := w.issuer.DeleteKey(ctx, rotated.Hash); err != nil {
		t.Fatal(err)
	}
	if _, atOpenRouter, err := svc.Get(ctx, rotated.Hash); !launchpad.IsNotFound(err) || !atOpenRouter {
		t.Errorf("get of a key deleted at OpenRouter: %v (at OpenRouter %v)", err, atOpenRouter)
	}
}
