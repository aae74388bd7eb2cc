package subkey_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// The shared listing against OpenRouter's simulator answers every read as a read of the key
// by itself would.
func TestListedKeysAnswerAsOpenRouterDoes(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	listed := subkey.NewListedKeys(w.issuer, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc := subkey.NewService(subkey.Config{Store: w.Store, Issuer: listed, Keyring: w.Keyring})
	var keys []*launchpad.SubKey
	for _, user := range []string{"alice01", "bob01", "carol01"} {
		k, err := svc.Mint(ctx, user, w.Starter, "launchpad-"+user, 0)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if _, err := w.issuer.UpdateKey(ctx, keys[1].Hash, launchpad.KeyUpdate{LimitUSD: ptr(25.0)}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Revoke(ctx, "carol01", keys[2].Hash); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		direct, derr := w.issuer.GetKey(ctx, k.Hash)
		got, err := listed.GetKey(ctx, k.Hash)
		switch {
		case launchpad.IsNotFound(derr) != launchpad.IsNotFound(err):
			t.Errorf("%s: listed %v, direct %v", k.Hash, err, derr)
		case err == nil && (*got.LimitUSD != *direct.LimitUSD || got.Name != direct.Name || got.Disabled != direct.Disabled):
			t.Errorf("%s: listed %+v, direct %+v", k.Hash, got, direct)
		}
	}
}

func ptr[T any](v T) *T { return &v }
