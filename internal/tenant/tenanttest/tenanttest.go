// Package tenanttest builds, for a test, the world the tenant and sub-key lifecycles run in,
// in process: the Fly simulator (package simtest), a SQLite store in a temporary directory, a
// keyring, a stopped clock and two plans. Nothing in it needs tofu.
//
//	w := tenanttest.New(t)
//	svc := w.Tenants()
//	w.GiveSubKey(t, "alice01", "sk-or-v1-alice")
//	b, err := svc.Create(ctx, w.Want("alice01"), w.Starter, key)
package tenanttest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// Org is the Fly organization of the world's tenants.
const Org = "acme"

// Image is the agent image the world's tenants run.
const Image = "registry.fly.io/hermes-agent:1.4.2"

// Secret is the platform secret of the world's keyring.
const Secret = "lifecycle-test-platform-secret-0123456789abcdef"

// World is one test's Fly, store and keyring.
type World struct {
	Fly     *simtest.FlyServer
	Store   launchpad.Store
	Keyring *envelope.Keyring
	Runtime launchpad.Runtime // the Fly client, on the simulator
	// Clock stamps the tenants' app names; it moves only when the test moves it.
	Clock *sim.ManualClock
	// Starter and Pro are plans in the store: 1 shared CPU, 1 GB and a 5 GB volume; 2 CPUs,
	// 4 GB and a 20 GB volume.
	Starter, Pro *launchpad.Plan
}

// Sealer seals and opens credentials as the product does: under the keyring and the users'
// key material in the store.
func (w *World) Sealer() *envelope.Sealer { return envelope.NewSealer(w.Keyring, w.Store) }

// New starts the world for t; it is torn down when t ends.
func New(t testing.TB) *World {
	t.Helper()
	ctx := context.Background()
	w := &World{Fly: simtest.StartFly(t, sim.FlyOptions{}), Clock: sim.NewManualClock(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "launchpad.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("tenanttest: open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	w.Store = db
	if w.Keyring, err = envelope.NewKeyring(Secret, ""); err != nil {
		t.Fatal(err)
	}
	if w.Runtime, err = fly.New(ctx, fly.Config{BaseURL: w.Fly.URL, Token: w.Fly.Token, Org: Org}); err != nil {
		t.Fatal(err)
	}
	w.Starter = &launchpad.Plan{Name: "starter", MonthlySpendLimitUSD: 10, MachineHoursPerCycle: 100, VolumeSizeGB: 5,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}}
	w.Pro = &launchpad.Plan{Name: "pro", MonthlySpendLimitUSD: 50, MachineHoursPerCycle: 200, VolumeSizeGB: 20,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}}
	for _, p := range []*launchpad.Plan{w.Starter, w.Pro} {
		if err := w.Store.CreatePlan(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// Tenants is the tenant lifecycle on the world, with no pooled key.
func (w *World) Tenants() *tenant.Service {
	return tenant.NewService(tenant.Config{Store: w.Store, Runtime: w.Runtime, Keyring: w.Keyring, Org: Org, Now: w.Clock.Now})
}

// Want is a hermes tenant of userID in iad on the starter plan, to create.
func (w *World) Want(userID string) *launchpad.Tenant {
	return &launchpad.Tenant{UserID: userID, Product: "hermes", Region: "iad", Plan: w.Starter.Name, Image: Image}
}

// GiveSubKey records plaintext as the user's sub-key, as minting it would (a sealed copy in
// the user's record and a sub-key record), and returns its hash.
func (w *World) GiveSubKey(t testing.TB, userID, plaintext string) string {
	t.Helper()
	ctx := context.Background()
	hash := "hash-" + userID + "-" + plaintext[len(plaintext)-4:]
	if _, _, err := launchpad.EnsureUserByID(ctx, w.Store, userID); err != nil {
		t.Fatal(err)
	}
	sealed, err := w.Sealer().Seal(ctx, []byte(plaintext), userID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		u.OpenRouterKey, u.OpenRouterKeyHash = sealed, hash
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.Store.CreateSubKey(ctx, &launchpad.SubKey{Hash: hash, UserID: userID, Plan: w.Starter.Name, Name: "launchpad-" + userID,
		LimitUSD: w.Starter.MonthlySpendLimitUSD, LimitReset: launchpad.LimitResetMonthly}); err != nil {
		t.Fatal(err)
	}
	return hash
}

// App is the simulator's view of an app, nil when it does not exist.
func (w *World) App(name string) *sim.FlyAppSnapshot {
	for _, a := range w.Fly.Sim.Snapshot().Apps {
		if a.Name == name {
			return &a
		}
	}
	return nil
}

// StartTenant creates and saves userID's tenant on the starter plan, running on the sub-key
// hash, as a first apply would.
func (w *World) StartTenant(t testing.TB, userID, hash string) *launchpad.Tenant {
	t.Helper()
	ctx := context.Background()
	svc := w.Tenants()
	key, err := svc.ResolveKey(ctx, userID, hash, w.Starter)
	if err != nil {
		t.Fatalf("tenanttest: resolve key: %v", err)
	}
	b, err := svc.Create(ctx, w.Want(userID), w.Starter, key)
	if err != nil {
		t.Fatalf("tenanttest: create: %v", err)
	}
	if err := svc.Save(ctx, b.Tenant); err != nil {
		t.Fatalf("tenanttest: save: %v", err)
	}
	return b.Tenant
}
