package tenant_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

func TestCreateBuildsTheWholeBoundaryOnItsOwnNetwork(t *testing.T) {
	w := tenanttest.New(t)
	b, hash := start(t, w, w.Tenants(), "alice01")

	want, _ := launchpad.AppName("hermes", "alice01", w.Clock.Now())
	tn := b.Tenant
	if tn.AppName != want || tn.Network != want {
		t.Fatalf("app %s on network %s, want %s on its own network", tn.AppName, tn.Network, want)
	}
	app := w.App(tn.AppName)
	if app == nil || app.Org != tenanttest.Org || app.Network != tn.AppName {
		t.Fatalf("at Fly: %+v", app)
	}
	var v4, v6 int
	for _, ip := range app.IPs {
		switch {
		case ip.Type == "v4" && !ip.Shared && ip.Address == tn.IPv4:
			v4++
		case ip.Type == "v6" && ip.Address == tn.IPv6:
			v6++
		}
	}
	if v4 != 1 || v6 != 1 || len(app.IPs) != 2 {
		t.Errorf("IPs %+v, want one dedicated IPv4 and one IPv6", app.IPs)
	}
	if len(app.Volumes) != 1 || !app.Volumes[0].Encrypted || app.Volumes[0].SizeGB != 5 || app.Volumes[0].ID != tn.VolumeID ||
		app.Volumes[0].AttachedMachineID != tn.MachineID || b.VolumeSizeGB != 5 {
		t.Errorf("volumes %+v (size %d), want one encrypted 5 GB volume mounted by the machine", app.Volumes, b.VolumeSizeGB)
	}
	if len(app.Machines) != 1 {
		t.Fatalf("machines %+v, want one", app.Machines)
	}
	m := app.Machines[0]
	if m.ID != tn.MachineID || m.State != "started" || tn.MachineState != launchpad.MachineStarted || m.Name != "agent-g0" {
		t.Errorf("machine %s %s %s, want the tenant's, started", m.ID, m.Name, m.State)
	}
	if g := (launchpad.Guest{CPUKind: m.Guest.CPUKind, CPUs: m.Guest.CPUs, MemoryMB: m.Guest.MemoryMB}); g != w.Starter.Guest || b.Guest != g {
		t.Errorf("machine size %+v (reported %+v), want the plan's %+v", g, b.Guest, w.Starter.Guest)
	}
	if len(m.Mounts) != 1 || m.Mounts[0].Volume != tn.VolumeID || m.Mounts[0].Path != launchpad.WorkspaceMount {
		t.Errorf("mounts %+v, want the volume at %s", m.Mounts, launchpad.WorkspaceMount)
	}
	for k, v := range m.Env {
		if strings.Contains(v, subKeyOf("alice01")) {
			t.Errorf("the model key is in the machine's environment (%s)", k)
		}
	}
	if m.Metadata["launchpad_user_id"] != "alice01" || m.Metadata["launchpad_plan"] != "starter" {
		t.Errorf("metadata %v, want the owner and plan", m.Metadata)
	}
	digest := sim.SecretDigest(subKeyOf("alice01"))
	if len(app.Secrets) != 1 || app.Secrets[0].Name != launchpad.KeySecretName || app.Secrets[0].Digest != digest || tn.SecretDigest != digest {
		t.Errorf("secrets %+v (recorded digest %s), want the sub-key as %s", app.Secrets, tn.SecretDigest, launchpad.KeySecretName)
	}
	if tn.KeySource != launchpad.KeySourceSubKey || tn.SubKeyHash != hash {
		t.Errorf("key source %s %s, want the sub-key %s", tn.KeySource, tn.SubKeyHash, hash)
	}
	rec, err := w.Store.GetTenant(context.Background(), tn.AppName)
	if err != nil || rec.MachineID != tn.MachineID || rec.SecretDigest != digest {
		t.Errorf("saved record %+v, %v", rec, err)
	}
}

// App names are global at Fly, so this second's name may belong to someone else (another
// org, or a user whose id starts alike): the next second's name is taken instead, and the
// claims of the taken names are not left behind. Fly answers a read of another organization's
// app 403 "unauthorized", which is not a refused token.
func TestCreateTakesTheNextSecondWhenTheAppNameIsTaken(t *testing.T) {
	w := tenanttest.New(t)
	ctx := context.Background()
	for i := range 2 {
		name, _ := launchpad.AppName("hermes", "alice01", w.Clock.Now().Add(time.Duration(i)*time.Second))
		if err := w.Fly.Sim.CreateForeignApp(name, "someone-else"); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := start(t, w, w.Tenants(), "alice01")
	want, _ := launchpad.AppName("hermes", "alice01", w.Clock.Now().Add(2*time.Second))
	if b.Tenant.AppName != want {
		t.Fatalf("app %s, want the name of two seconds later, %s", b.Tenant.AppName, want)
	}
	if recs, _ := w.Store.ListTenants(ctx, launchpad.TenantFilter{UserID: "alice01"}); len(recs) != 1 {
		t.Errorf("%d tenant records, want 1 (the taken names' claims dropped)", len(recs))
	}
}

// The name can also be taken between the read that finds it free and the create: Fly then
// answers the create 422 "uniqueness constraint violated", and the next second's name is
// taken, in the same create.
func TestCreateTakesTheNextSecondWhenTheCreateFindsTheNameTaken(t *testing.T) {
	w := tenanttest.New(t)
	w.Fly.Sim.ScriptFaults("POST /v1/apps", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 422, Body: `{"error":"uniqueness constraint violated"}`})
	b, _ := start(t, w, w.Tenants(), "alice01")
	want, _ := launchpad.AppName("hermes", "alice01", w.Clock.Now().Add(time.Second))
	if b.Tenant.AppName != want || w.App(want) == nil {
		t.Fatalf("app %s, want the next second's name, %s, created", b.Tenant.AppName, want)
	}
}

// claimAnHourAgo records the claim of alice01's tenant that a create an hour ago made
// before it was killed, and returns the claimed name.
func claimAnHourAgo(t *testing.T, w *tenanttest.World) string {
	t.Helper()
	claimed, _ := launchpad.AppName("hermes", "alice01", w.Clock.Now().Add(-time.Hour))
	if err := w.Store.CreateTenant(context.Background(), &launchpad.Tenant{AppName: claimed, UserID: "alice01", Product: "hermes",
		Region: "iad", Plan: "starter", Image: tenanttest.Image, Network: claimed}); err != nil {
		t.Fatal(err)
	}
	return claimed
}

// A create killed between its claim and its first call to Fly leaves a record and no app:
// the next create builds the tenant under the claimed name, not under a new one.
func TestCreateResumesAClaimWithNoAppAtFly(t *testing.T) {
	w := tenanttest.New(t)
	claimed := claimAnHourAgo(t, w)
	b, _ := start(t, w, w.Tenants(), "alice01")
	if b.Tenant.AppName != claimed || w.App(claimed) == nil || len(w.Fly.Sim.Snapshot().Apps) != 1 {
		t.Fatalf("app %s, want the claimed %s and nothing else at Fly", b.Tenant.AppName, claimed)
	}
}

// A create killed half-way leaves the claim, the app, an IPv4 and the volume: the next create
// finds them and makes only what is missing.
func TestCreateResumesAHalfBuiltTenant(t *testing.T) {
	w := tenanttest.New(t)
	ctx := context.Background()
	claimed := claimAnHourAgo(t, w)
	if _, err := w.Runtime.CreateApp(ctx, launchpad.AppSpec{Name: claimed, Org: tenanttest.Org, Network: claimed}); err != nil {
		t.Fatal(err)
	}
	ip, err := w.Runtime.AllocateIP(ctx, claimed, launchpad.IPSpec{Type: launchpad.IPv4})
	if err != nil {
		t.Fatal(err)
	}
	vol, err := w.Runtime.CreateVolume(ctx, claimed, launchpad.VolumeSpec{Name: "workspace", Region: "iad", SizeGB: 5, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := start(t, w, w.Tenants(), "alice01")
	tn := b.Tenant
	if tn.AppName != claimed || tn.IPv4 != ip.Address || tn.VolumeID != vol.ID || tn.MachineID == "" {
		t.Fatalf("resumed tenant %+v, want %s with IPv4 %s and volume %s kept", tn, claimed, ip.Address, vol.ID)
	}
	if got := strings.Join(b.Created, ", "); !strings.HasPrefix(got, "IPv6 ") || !strings.Contains(got, "machine ") || strings.Contains(got, "volume") {
		t.Errorf("created %q, want only the IPv6 and the machine", got)
	}
	if app := w.App(claimed); len(app.Volumes) != 1 || len(app.IPs) != 2 {
		t.Errorf("at Fly: %d volumes and %d IPs, want 1 and 2", len(app.Volumes), len(app.IPs))
	}
}

func TestCreateRefusesASecondTenantOfTheSameProduct(t *testing.T) {
	w, svc, first, hash := alice(t)
	w.Clock.Advance(time.Minute)
	key, err := svc.ResolveKey(context.Background(), "alice01", hash, w.Starter)
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Create(context.Background(), w.Want("alice01"), w.Starter, key)
	mustCode(t, err, launchpad.ECONFLICT)
	if b != nil || !strings.Contains(err.Error(), "terraform import launchpad_tenant.<name> "+first.Tenant.AppName) {
		t.Errorf("boundary %v, error %q: want nothing built and the import command", b, err)
	}
}

// A record whose app was deleted outside Launchpad is stale: a new tenant replaces it.
func TestCreateReplacesARecordWhoseAppIsGone(t *testing.T) {
	w, svc, old, _ := alice(t)
	if err := svc.Teardown(context.Background(), old.Tenant); err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(time.Minute)
	key, err := svc.ResolveKey(context.Background(), "alice01", old.Tenant.SubKeyHash, w.Starter)
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Create(context.Background(), w.Want("alice01"), w.Starter, key)
	if err != nil || b.Tenant.AppName == old.Tenant.AppName {
		t.Fatalf("create after the app was deleted: %v, %v", b, err)
	}
	if _, err := w.Store.GetTenant(context.Background(), old.Tenant.AppName); !launchpad.IsNotFound(err) {
		t.Errorf("the stale record of %s: err = %v, want it gone", old.Tenant.AppName, err)
	}
}

func TestCreateWithoutAnyModelKeyIsRefusedBeforeFly(t *testing.T) {
	w := tenanttest.New(t)
	_, err := w.Tenants().ResolveKey(context.Background(), "bob01", "", w.Starter)
	mustCode(t, err, launchpad.EINVALID)
	pooled := tenant.NewService(tenant.Config{Store: w.Store, PooledKey: "sk-or-v1-pooled"})
	if _, err := pooled.ResolveKey(context.Background(), "bob01", "", w.Starter); !strings.Contains(launchpad.ErrorMessage(err), "is paid") {
		t.Errorf("a paid plan on the pooled key: %v, want it refused", err)
	}
	trial := &launchpad.Plan{Name: launchpad.TrialPlan}
	if key, err := pooled.ResolveKey(context.Background(), "bob01", "", trial); err != nil || key.Source != launchpad.KeySourcePooled {
		t.Errorf("a trial tenant: %+v, %v; want the pooled key", key, err)
	}
	if len(w.Fly.Sim.Snapshot().Apps) != 0 {
		t.Error("something was made at Fly")
	}
}

// Provision stores a BYOK key first and runs the tenant on it, records the tenant, and
// names the step that fails: no key, or a second tenant of the product.
func TestProvisionNamesTheStepThatFails(t *testing.T) {
	ctx := context.Background()
	w := tenanttest.New(t)
	svc := w.Tenants()

	b, step, err := svc.Provision(ctx, tenant.Request{Tenant: w.Want("bob01"), Plan: w.Starter})
	if err == nil || step != tenant.StepKey || b != nil {
		t.Fatalf("no key: %v, %q, %v; want the key step to fail with nothing made", b, step, err)
	}

	byok := "sk-or-v1-byok-of-bob-0123456789abcdef"
	b, step, err = svc.Provision(ctx, tenant.Request{Tenant: w.Want("bob01"), Plan: w.Starter, BYOKKey: &byok})
	if err != nil || step != "" {
		t.Fatalf("provision: %q, %v", step, err)
	}
	if b.Tenant.KeySource != launchpad.KeySourceBYOK {
		t.Errorf("key source %s, want byok", b.Tenant.KeySource)
	}
	if rec, err := w.Store.GetTenant(ctx, b.Tenant.AppName); err != nil || rec.MachineID != b.Tenant.MachineID {
		t.Fatalf("record %+v, %v; want the tenant recorded", rec, err)
	}

	again, step, err := svc.Provision(ctx, tenant.Request{Tenant: w.Want("bob01"), Plan: w.Starter, BYOKKey: &byok})
	if step != tenant.StepClaim || again != nil {
		t.Fatalf("second tenant: %v, %q, %v; want the claim refused with nothing made", again, step, err)
	}
	mustCode(t, err, launchpad.ECONFLICT)
}

// Update stores a changed BYOK key, reconciles onto it and records the result; Destroy
// with a retention keeps the workspace, says where, and forgets the record.
func TestUpdateThenDestroyKeepingTheWorkspace(t *testing.T) {
	ctx := context.Background()
	w, svc, b, hash := alice(t)
	byok := "sk-or-v1-byok-of-alice-0123456789abcdef"
	after, step, err := svc.Update(ctx, refresh(t, svc, b), tenant.Change{Plan: w.Pro, Image: tenanttest.Image, SubKeyHash: hash,
		BYOKKeyChanged: true}, byok)
	if err != nil || step != "" {
		t.Fatalf("update: %q, %v", step, err)
	}
	if after.Tenant.KeySource != launchpad.KeySourceBYOK || after.Tenant.Plan != w.Pro.Name || after.Guest != w.Pro.Guest {
		t.Errorf("after the update: %+v on %+v, want pro's size on the BYOK key", after.Tenant, after.Guest)
	}
	if rec, err := w.Store.GetTenant(ctx, after.Tenant.AppName); err != nil || rec.Plan != w.Pro.Name {
		t.Fatalf("record %+v, %v; want it on pro", rec, err)
	}

	kept, step, err := svc.Destroy(ctx, after.Tenant, 7)
	if err != nil || step != "" || kept == nil {
		t.Fatalf("destroy: %+v, %q, %v; want the workspace kept", kept, step, err)
	}
	if _, err := w.Store.GetTenant(ctx, after.Tenant.AppName); !launchpad.IsNotFound(err) {
		t.Errorf("record after the destroy: %v, want it gone", err)
	}
	if d := kept.Details(); d["retained_snapshot"] != kept.SnapshotID || d["retained_app"] != after.Tenant.AppName {
		t.Errorf("audit details %v", d)
	}
	if n := kept.Notice(after.Tenant); !strings.Contains(n, kept.SnapshotID) || !strings.Contains(n, "restore_from") {
		t.Errorf("notice %q, want the snapshot and how to restore it", n)
	}
}

// Destroy without a retention tears everything down; a destroy that runs again finds
// nothing left and succeeds.
func TestDestroyTearsDownAndRunsAgain(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	for range 2 {
		if kept, step, err := svc.Destroy(ctx, b.Tenant, 0); err != nil || kept != nil || step != "" {
			t.Fatalf("destroy: %+v, %q, %v", kept, step, err)
		}
	}
	if app := w.App(b.Tenant.AppName); app != nil {
		t.Errorf("app %+v after the destroy, want it deleted", app)
	}
}

// Lookup finds a tenant by its app, or by its user and product, and says what it did not find.
func TestLookupNamesWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	_, svc, b, _ := alice(t)
	for _, by := range [][3]string{{b.Tenant.AppName, "", ""}, {"", "alice01", "hermes"}} {
		if got, err := svc.Lookup(ctx, by[0], by[1], by[2]); err != nil || got.AppName != b.Tenant.AppName {
			t.Errorf("Lookup%v = %+v, %v", by, got, err)
		}
	}
	if _, err := svc.Lookup(ctx, "lp-hermes-nobody01-sxyz12", "", ""); launchpad.ErrorMessage(err) != `No tenant "lp-hermes-nobody01-sxyz12" is in the Launchpad store.` {
		t.Errorf("by a missing app: %v", err)
	}
	if _, err := svc.Lookup(ctx, "", "alice01", "openclaw"); launchpad.ErrorMessage(err) != "User alice01 has no openclaw tenant in the Launchpad store." {
		t.Errorf("by a missing product: %v", err)
	}
}

// CheckNoTenant refuses a second tenant of a product, unless the run replaces the first.
func TestCheckNoTenantUnlessReplaced(t *testing.T) {
	ctx := context.Background()
	_, svc, b, _ := alice(t)
	never := func(string) bool { return false }
	err := svc.CheckNoTenant(ctx, "alice01", "hermes", never)
	mustCode(t, err, launchpad.ECONFLICT)
	if !strings.Contains(launchpad.ErrorMessage(err), "terraform import launchpad_tenant.<name> "+b.Tenant.AppName) {
		t.Errorf("message %q, want how to import %s", launchpad.ErrorMessage(err), b.Tenant.AppName)
	}
	if err := svc.CheckNoTenant(ctx, "alice01", "hermes", func(app string) bool { return app == b.Tenant.AppName }); err != nil {
		t.Errorf("replaced in this run: %v", err)
	}
	if err := svc.CheckNoTenant(ctx, "alice01", "openclaw", never); err != nil {
		t.Errorf("another product: %v", err)
	}
}

// Users whose ids fold to the same uid8, created at the same second and at once, each get
// their own name: the later ones take the next free seconds.
func TestCreateGivesUsersWithOneUID8TheirOwnNames(t *testing.T) {
	ctx := context.Background()
	w := tenanttest.New(t)
	svc := w.Tenants()
	users := []string{"Dora0101a", "dora0101b", "DORA0101c", "dora0101-d", "DoRa0101ee"}
	type made struct {
		name string
		err  error
	}
	out := make(chan made, len(users))
	for _, u := range users {
		hash := w.GiveSubKey(t, u, subKeyOf(u))
		go func() {
			key, err := svc.ResolveKey(ctx, u, hash, w.Starter)
			if err != nil {
				out <- made{err: err}
				return
			}
			b, err := svc.Create(ctx, w.Want(u), w.Starter, key)
			if err == nil {
				err = svc.Save(ctx, b.Tenant)
			}
			if err != nil {
				out <- made{err: err}
				return
			}
			out <- made{name: b.Tenant.AppName}
		}()
	}
	names := map[string]bool{}
	for range users {
		m := <-out
		if m.err != nil {
			t.Fatalf("create: %v", m.err)
		}
		if names[m.name] {
			t.Fatalf("two users got %s", m.name)
		}
		if !strings.HasPrefix(m.name, "lp-hermes-dora0101-") || launchpad.ValidateAppName(m.name) != nil {
			t.Fatalf("name %s does not follow the rule", m.name)
		}
		names[m.name] = true
	}
	for _, u := range users {
		recs, err := w.Store.ListTenants(ctx, launchpad.TenantFilter{UserID: u})
		if err != nil || len(recs) != 1 || w.App(recs[0].AppName) == nil {
			t.Fatalf("user %s: records %+v, %v; want one, at Fly", u, recs, err)
		}
		if m := w.App(recs[0].AppName).Machines[0]; m.Metadata["launchpad_user_id"] != u {
			t.Fatalf("app %s runs user %s's machine, want %s's", recs[0].AppName, m.Metadata["launchpad_user_id"], u)
		}
	}
	if n := len(w.Fly.Sim.Snapshot().Apps); n != len(users) {
		t.Errorf("%d apps at Fly, want %d (no orphan from a lost claim)", n, len(users))
	}
}

// A BYOK key is sealed only under the store's platform key: a process with another secret is
// refused before it writes anything.
func TestStoreBYOKRefusesAnotherPlatformSecret(t *testing.T) {
	ctx := context.Background()
	w := tenanttest.New(t)
	if err := w.Tenants().StoreBYOK(ctx, "alice01", "sk-byok-alice"); err != nil {
		t.Fatal(err)
	}
	other, err := envelope.NewKeyring("another-platform-secret-0123456789abcdef", "")
	if err != nil {
		t.Fatal(err)
	}
	svc := tenant.NewService(tenant.Config{Store: w.Store, Runtime: w.Runtime, Keyring: other, Org: tenanttest.Org, Now: w.Clock.Now})
	err = svc.StoreBYOK(ctx, "bob02", "sk-byok-bob")
	mustCode(t, err, launchpad.EINVALID)
	if !strings.Contains(err.Error(), "PLATFORM_SECRET") {
		t.Errorf("err = %v, want it to name PLATFORM_SECRET", err)
	}
	if _, err := w.Store.GetUser(ctx, "bob02"); !launchpad.IsNotFound(err) {
		t.Errorf("bob02's record: %v, want none", err)
	}
}
