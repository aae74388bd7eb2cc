package subkey_test

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

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
