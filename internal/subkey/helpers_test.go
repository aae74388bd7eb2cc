package subkey_test

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

// world is the tenant lifecycle's world with OpenRouter beside it.
type world struct {
	*tenanttest.World
	or     *simtest.OpenRouterServer
	issuer launchpad.KeyIssuer
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{World: tenanttest.New(t), or: simtest.StartOpenRouter(t, sim.OpenRouterOptions{})}
	var err error
	if w.issuer, err = openrouter.New(openrouter.Config{BaseURL: w.or.URL, ManagementKey: w.or.ManagementKey}); err != nil {
		t.Fatal(err)
	}
	return w
}

// subKeys is the sub-key lifecycle on the world, Fly included.
func (w *world) subKeys() *subkey.Service {
	return subkey.NewService(subkey.Config{Store: w.Store, Issuer: w.issuer, Keyring: w.Keyring, Runtime: w.Runtime})
}

// mint mints alice01's sub-key on the starter plan.
func (w *world) mint(t *testing.T) *launchpad.SubKey {
	t.Helper()
	k, err := w.subKeys().Mint(context.Background(), "alice01", w.Starter, "launchpad-alice01", 0)
	if err != nil {
		t.Fatalf("mint: %v", err)
	}
	return k
}

// minted starts a world and mints alice01's sub-key in it.
func minted(t *testing.T) (*world, *launchpad.SubKey) {
	t.Helper()
	w := newWorld(t)
	return w, w.mint(t)
}

// tenantOn creates alice01's tenant running on her sub-key hash.
func (w *world) tenantOn(t *testing.T, hash string) *launchpad.Tenant {
	t.Helper()
	return w.StartTenant(t, "alice01", hash)
}

// key is OpenRouter's view of a key, nil when it does not exist.
func (w *world) key(hash string) *sim.KeySnapshot {
	for _, k := range w.or.Sim.Snapshot().Keys {
		if k.Hash == hash {
			return &k
		}
	}
	return nil
}

// held opens the sub-key sealed into the user's record.
func (w *world) held(t *testing.T, userID string) (hash, plaintext string) {
	t.Helper()
	u, err := w.Store.GetUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	if u.OpenRouterKey == "" {
		return u.OpenRouterKeyHash, ""
	}
	p, err := tenant.OpenSealed(t.Context(), w.Sealer(), u.OpenRouterKey, userID, "sub-key")
	if err != nil {
		t.Fatal(err)
	}
	return u.OpenRouterKeyHash, p
}

// noRecord fails the test if the store still records the sub-key hash.
func (w *world) noRecord(t *testing.T, hash string) {
	t.Helper()
	if _, err := w.Store.GetSubKey(context.Background(), hash); !launchpad.IsNotFound(err) {
		t.Errorf("the record of %s: err = %v, want it gone", hash, err)
	}
}

func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	if launchpad.ErrorCode(err) != code {
		t.Fatalf("err = %v (%s), want %s", err, launchpad.ErrorCode(err), code)
	}
}

// failingStore is a store whose listed writes fail.
type failingStore struct {
	launchpad.Store
	createSubKey, updateSubKey error
}

func (s *failingStore) CreateSubKey(ctx context.Context, k *launchpad.SubKey) error {
	if s.createSubKey != nil {
		return s.createSubKey
	}
	return s.Store.CreateSubKey(ctx, k)
}

func (s *failingStore) UpdateSubKey(ctx context.Context, hash string, fn func(*launchpad.SubKey) error) (*launchpad.SubKey, error) {
	if s.updateSubKey != nil {
		return nil, s.updateSubKey
	}
	return s.Store.UpdateSubKey(ctx, hash, fn)
}
