package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func platformKeyCases() []testCase {
	return []testCase{
		{"platform_keys/zero_until_set", testPlatformKeysZero},
		{"platform_keys/update_and_read_back", testPlatformKeysUpdate},
		{"platform_keys/failed_update_writes_nothing", testPlatformKeysFailedUpdate},
		{"platform_keys/one_claim_wins_concurrent", testPlatformKeysClaimConcurrent},
		{"platform_keys/records_are_copies", testPlatformKeysCopies},
	}
}

const (
	keyA = "aaaaaaaaaaaa"
	keyB = "bbbbbbbbbbbb"
	keyC = "cccccccccccc"
)

func testPlatformKeysZero(t *testing.T, s launchpad.Store) {
	k, err := s.GetPlatformKeys(t.Context())
	wantOK(t, err, "GetPlatformKeys on a fresh store")
	if k == nil || k.Active != "" || k.Next != "" || len(k.Retired) != 0 || !k.UpdatedAt.IsZero() {
		t.Fatalf("GetPlatformKeys on a fresh store = %+v, want the zero record", k)
	}
}

func testPlatformKeysUpdate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	var seen *launchpad.PlatformKeys
	out, err := s.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		seen = &launchpad.PlatformKeys{Active: k.Active, Next: k.Next, Retired: slices.Clone(k.Retired)}
		k.Active = keyA
		return nil
	})
	wantOK(t, err, "first UpdatePlatformKeys")
	if seen.Active != "" || seen.Next != "" || len(seen.Retired) != 0 {
		t.Fatalf("the first update's fn saw %+v, want the zero record", seen)
	}
	if out.Active != keyA || out.UpdatedAt.IsZero() {
		t.Fatalf("UpdatePlatformKeys returned %+v, want Active %s and UpdatedAt set", out, keyA)
	}
	wantUTC(t, "PlatformKeys.UpdatedAt", out.UpdatedAt)

	_, err = s.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		k.Next = keyB
		return nil
	})
	wantOK(t, err, "UpdatePlatformKeys setting Next")
	out, err = s.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		if k.Active != keyA || k.Next != keyB {
			return errors.New("fn did not see the stored record")
		}
		k.Retired = append(k.Retired, k.Active, keyC)
		k.Active, k.Next = keyB, ""
		return nil
	})
	wantOK(t, err, "UpdatePlatformKeys completing a rotation")
	got, err := s.GetPlatformKeys(ctx)
	wantOK(t, err, "GetPlatformKeys")
	wantEqual(t, "GetPlatformKeys", got, out)
	if got.Active != keyB || got.Next != "" || !slices.Equal(got.Retired, []string{keyA, keyC}) {
		t.Fatalf("GetPlatformKeys = %+v, want Active %s, no Next, Retired [%s %s] in that order", got, keyB, keyA, keyC)
	}
}

func testPlatformKeysFailedUpdate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		k.Active = keyA
		return nil
	})
	wantOK(t, err, "UpdatePlatformKeys")
	refuse := launchpad.Errorf(launchpad.EINVALID, "refused")
	_, err = s.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		k.Active = keyB
		return refuse
	})
	if !errors.Is(err, refuse) {
		t.Fatalf("UpdatePlatformKeys whose fn fails returned %v, want fn's error", err)
	}
	got, err := s.GetPlatformKeys(ctx)
	wantOK(t, err, "GetPlatformKeys")
	if got.Active != keyA {
		t.Fatalf("after a refused update Active = %q, want %q (nothing written)", got.Active, keyA)
	}
}

// Processes with different secrets claiming a fresh store at once: exactly one key becomes
// active, and every claimer sees the same one.
func testPlatformKeysClaimConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	keys := []string{keyA, keyB, keyC}
	var wg sync.WaitGroup
	results := make([]string, concurrency)
	errs := make([]error, concurrency)
	for i := range concurrency {
		wg.Go(func() {
			mine := keys[i%len(keys)]
			out, err := s.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
				if k.Active == "" {
					k.Active = mine
				}
				return nil
			})
			errs[i] = err
			if err == nil {
				results[i] = out.Active
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		wantOK(t, err, "concurrent UpdatePlatformKeys")
		if results[i] != results[0] {
			t.Fatalf("concurrent claims saw active keys %q and %q: two claims won", results[0], results[i])
		}
	}
	got, err := s.GetPlatformKeys(ctx)
	wantOK(t, err, "GetPlatformKeys")
	if got.Active != results[0] {
		t.Fatalf("stored Active %q, but the claimers saw %q", got.Active, results[0])
	}
}

func testPlatformKeysCopies(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	out, err := s.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		k.Active, k.Retired = keyB, []string{keyA}
		return nil
	})
	wantOK(t, err, "UpdatePlatformKeys")
	out.Retired[0] = "changed"
	got, err := s.GetPlatformKeys(ctx)
	wantOK(t, err, "GetPlatformKeys")
	got.Retired[0] = "changed too"
	again, err := s.GetPlatformKeys(ctx)
	wantOK(t, err, "GetPlatformKeys")
	if !slices.Equal(again.Retired, []string{keyA}) {
		t.Fatalf("changing returned records changed the store: Retired = %v", again.Retired)
	}
}
