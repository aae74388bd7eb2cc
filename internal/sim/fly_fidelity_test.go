package sim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// The behaviours below are those issue 16 found the simulator too lenient on: each test is
// what a client that ignored the behaviour would trip over on the real Fly.

// fidelityWorld is a Fly simulator on a manual clock with one app, "tenant", holding a 1 GB
// volume.
type fidelityWorld struct {
	t     *testing.T
	clock *sim.ManualClock
	srv   *simtest.FlyServer
	c     *flaps.Client
	vol   *fly.Volume
	tr    sim.Transitions
}

func newFidelityWorld(t *testing.T) *fidelityWorld {
	t.Helper()
	w := &fidelityWorld{t: t, clock: sim.NewManualClock(t0), tr: sim.DefaultTransitions()}
	w.srv = simtest.StartFly(t, sim.FlyOptions{Clock: w.clock, RecordRequests: true})
	w.c = newFlaps(t, w.srv, w.srv.Token)
	mustCreateApp(t, w.c, "tenant")
	size, enc := 1, true
	v, err := w.c.CreateVolume(context.Background(), "tenant", fly.CreateVolumeRequest{Name: "workspace", Region: "iad", SizeGb: &size, Encrypted: &enc})
	if err != nil {
		t.Fatal(err)
	}
	w.vol = v
	return w
}

// launch creates a machine mounting the volume and moves the clock until it has started.
func (w *fidelityWorld) launch(in fly.LaunchMachineInput) *fly.Machine {
	w.t.Helper()
	if in.Config == nil {
		in.Config = &fly.MachineConfig{Image: "nginx", Mounts: []fly.MachineMount{{Volume: w.vol.ID, Path: "/workspace"}}}
	}
	m, err := w.c.Launch(context.Background(), "tenant", in)
	if err != nil {
		w.t.Fatalf("launch: %v", err)
	}
	w.clock.Advance(w.tr.Start)
	return w.machine(m.ID)
}

func (w *fidelityWorld) machine(id string) *fly.Machine {
	w.t.Helper()
	m, err := w.c.Get(context.Background(), "tenant", id)
	if err != nil {
		w.t.Fatalf("get %s: %v", id, err)
	}
	return m
}

func (w *fidelityWorld) snapshot(id string) sim.MachineSnapshot {
	w.t.Helper()
	m, ok := w.srv.Sim.Snapshot().Machine(id)
	if !ok {
		w.t.Fatalf("machine %s is not in the snapshot", id)
	}
	return m
}

func (w *fidelityWorld) volume() sim.VolumeSnapshot {
	w.t.Helper()
	app, _ := w.srv.Sim.Snapshot().App("tenant")
	for _, v := range app.Volumes {
		if v.ID == w.vol.ID {
			return v
		}
	}
	w.t.Fatalf("volume %s is not in the snapshot", w.vol.ID)
	return sim.VolumeSnapshot{}
}

// inFlight runs fn (a blocking call) and returns once its request, matching target
// ("METHOD /path"), has reached the simulator; the channel yields fn's error.
func (w *fidelityWorld) inFlight(target string, fn func() error) <-chan error {
	w.t.Helper()
	before := len(simtest.Matching(w.srv.Sim.Requests(), target))
	done := make(chan error, 1)
	go func() { done <- fn() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.srv.Sim.WaitRequests(ctx, func(rs []sim.RecordedRequest) bool {
		return len(simtest.Matching(rs, target)) > before
	}); err != nil {
		w.t.Fatalf("%s never arrived: %v", target, err)
	}
	return done
}

// returnsAfter runs fn, which sends a request to target, and checks that it returns only once
// the clock has moved d.
func (w *fidelityWorld) returnsAfter(what, target string, d time.Duration, fn func() error) {
	w.t.Helper()
	done := w.inFlight(target, fn)
	notYet(w.t, what, done)
	w.clock.Advance(d)
	receive(w.t, what, done)
}

func receive(t *testing.T, what string, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return once the clock moved", what)
	}
}

func notYet(t *testing.T, what string, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s returned (%v) before the clock reached its time", what, err)
	case <-time.After(50 * time.Millisecond):
	}
}

// Fly: "existing Machines must be updated to pick up secrets". A running machine keeps the
// secrets version it was given; a stop and start does not change it; an update gets the newest
// version that has propagated, and only min_secrets_version makes it wait for the one just set.
func TestFlySecretsReachAMachineOnlyThroughAnUpdateForTheirVersion(t *testing.T) {
	t.Parallel()
	w := newFidelityWorld(t)
	ctx := context.Background()
	first, err := w.c.SetAppSecret(ctx, "tenant", "OPENROUTER_API_KEY", "sk-or-v1-first")
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(w.tr.SecretsPropagation)
	m := w.launch(fly.LaunchMachineInput{})
	if s := w.snapshot(m.ID); s.SecretsVersion != first.Version || s.Secrets["OPENROUTER_API_KEY"] != sim.SecretDigest("sk-or-v1-first") {
		t.Fatalf("new machine runs secrets v%d %v, want v%d with the first key", s.SecretsVersion, s.Secrets, first.Version)
	}

	second, err := w.c.SetAppSecret(ctx, "tenant", "OPENROUTER_API_KEY", "sk-or-v1-second")
	if err != nil {
		t.Fatal(err)
	}
	if second.Version <= first.Version {
		t.Fatalf("versions %d then %d, want them to grow", first.Version, second.Version)
	}
	// A stop and a start: the machine boots its own version again.
	w.clock.Advance(w.tr.SecretsPropagation)
	if err := w.c.Stop(ctx, "tenant", fly.StopMachineInput{ID: m.ID}, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(w.tr.Stop)
	if _, err := w.c.Start(ctx, "tenant", m.ID, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(w.tr.Start)
	if s := w.snapshot(m.ID); s.State != "started" || s.SecretsVersion != first.Version {
		t.Fatalf("after stop and start: %s on secrets v%d, want started still on v%d", s.State, s.SecretsVersion, first.Version)
	}

	// An update made right after a change, without min_secrets_version, gets the old version.
	third, err := w.c.SetAppSecret(ctx, "tenant", "OPENROUTER_API_KEY", "sk-or-v1-third")
	if err != nil {
		t.Fatal(err)
	}
	cfg := w.machine(m.ID).Config
	if _, err := w.c.Update(ctx, "tenant", fly.LaunchMachineInput{ID: m.ID, Config: cfg}, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(w.tr.Start)
	if s := w.snapshot(m.ID); s.SecretsVersion != second.Version {
		t.Fatalf("update without min_secrets_version right after v%d: on v%d, want v%d (the newest propagated)", third.Version, s.SecretsVersion, second.Version)
	}

	// With min_secrets_version the update waits for the version to propagate, then has it.
	fourth, err := w.c.SetAppSecret(ctx, "tenant", "OPENROUTER_API_KEY", "sk-or-v1-fourth")
	if err != nil {
		t.Fatal(err)
	}
	v := fourth.Version
	w.returnsAfter("update with min_secrets_version", "POST /v1/apps/tenant/machines/"+m.ID, w.tr.SecretsPropagation, func() error {
		_, err := w.c.Update(ctx, "tenant", fly.LaunchMachineInput{ID: m.ID, Config: cfg, MinSecretsVersion: &v}, "")
		return err
	})
	w.clock.Advance(w.tr.Start)
	if s := w.snapshot(m.ID); s.SecretsVersion != v || s.Secrets["OPENROUTER_API_KEY"] != sim.SecretDigest("sk-or-v1-fourth") {
		t.Fatalf("after the update for v%d: on v%d %v", v, s.SecretsVersion, s.Secrets)
	}

	future := v + 10
	_, err = w.c.Update(ctx, "tenant", fly.LaunchMachineInput{ID: m.ID, Config: cfg, MinSecretsVersion: &future}, "")
	wantFlapsError(t, "update for a version that does not exist yet", err, http.StatusBadRequest, "min_secrets_version")

	// A machine created right after a change without min_secrets_version misses it too.
	if _, err := w.c.SetAppSecret(ctx, "tenant", "OPENROUTER_API_KEY", "sk-or-v1-fifth"); err != nil {
		t.Fatal(err)
	}
	other := w.launch(fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}})
	if s := w.snapshot(other.ID); s.SecretsVersion != v {
		t.Fatalf("machine created right after a change: on v%d, want v%d", s.SecretsVersion, v)
	}
}

// Fly answers an extend of a mounted volume with needs_restart: the machine sees the added
// space only once it boots again.
func TestFlyExtendedVolumeNeedsARestart(t *testing.T) {
	t.Parallel()
	w := newFidelityWorld(t)
	ctx := context.Background()
	m := w.launch(fly.LaunchMachineInput{})

	v, needsRestart, err := w.c.ExtendVolume(ctx, "tenant", w.vol.ID, 3)
	if err != nil || !needsRestart || v.SizeGb != 3 {
		t.Fatalf("extend a mounted volume = %+v, needs_restart %v, %v; want 3 GB and needs_restart", v, needsRestart, err)
	}
	if got := w.volume(); got.SizeGB != 3 || got.FilesystemSizeGB != 1 {
		t.Fatalf("volume %d GB with a %d GB filesystem, want 3 GB with the 1 GB filesystem until a restart", got.SizeGB, got.FilesystemSizeGB)
	}
	status, body := rawFly(t, w.srv, http.MethodGet, "/v1/apps/tenant/volumes/"+w.vol.ID, "", "")
	if status != http.StatusOK || !containsJSON(body, `"blocks":262144`) {
		t.Fatalf("volume read = %d %s; want the filesystem's 1 GB in blocks", status, body)
	}
	if err := w.c.Restart(ctx, "tenant", fly.RestartMachineInput{ID: m.ID}, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(w.tr.Stop)
	if got := w.volume(); got.FilesystemSizeGB != 1 {
		t.Fatalf("filesystem %d GB while the machine is down, want 1 until it boots", got.FilesystemSizeGB)
	}
	w.clock.Advance(w.tr.Start)
	if got := w.volume(); got.FilesystemSizeGB != 3 {
		t.Fatalf("filesystem %d GB after the restart, want 3", got.FilesystemSizeGB)
	}

	// An update that replaces the machine boots it too.
	if _, needsRestart, err := w.c.ExtendVolume(ctx, "tenant", w.vol.ID, 5); err != nil || !needsRestart {
		t.Fatalf("extend to 5: needs_restart %v, %v", needsRestart, err)
	}
	if _, err := w.c.Update(ctx, "tenant", fly.LaunchMachineInput{ID: m.ID, Config: w.machine(m.ID).Config}, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(w.tr.Start)
	if got := w.volume(); got.FilesystemSizeGB != 5 {
		t.Fatalf("filesystem %d GB after an update replaced the machine, want 5", got.FilesystemSizeGB)
	}

	// A volume no running machine mounts grows at once.
	size, enc := 1, true
	spare, err := w.c.CreateVolume(ctx, "tenant", fly.CreateVolumeRequest{Name: "spare", Region: "iad", SizeGb: &size, Encrypted: &enc})
	if err != nil {
		t.Fatal(err)
	}
	if _, needsRestart, err := w.c.ExtendVolume(ctx, "tenant", spare.ID, 2); err != nil || needsRestart {
		t.Fatalf("extend an unmounted volume: needs_restart %v, %v; want false", needsRestart, err)
	}
}

// A destroy is answered at once and completes later: the machine is destroying and keeps its
// volume until it is destroyed, so a new machine on the volume, or deleting the volume,
// answers 412 meanwhile.
func TestFlyDestroyKeepsTheVolumeUntilTheMachineIsDestroyed(t *testing.T) {
	t.Parallel()
	w := newFidelityWorld(t)
	ctx := context.Background()
	m := w.launch(fly.LaunchMachineInput{Name: "agent-g0"})
	if err := w.c.Destroy(ctx, "tenant", fly.RemoveMachineInput{ID: m.ID, Kill: true}, ""); err != nil {
		t.Fatal(err)
	}
	if s := w.snapshot(m.ID); s.State != "destroying" {
		t.Fatalf("machine right after destroy: %s, want destroying", s.State)
	}
	_, err := w.c.Launch(ctx, "tenant", fly.LaunchMachineInput{Name: "agent-g1", Config: &fly.MachineConfig{Image: "nginx", Mounts: []fly.MachineMount{{Volume: w.vol.ID, Path: "/workspace"}}}})
	wantFlapsError(t, "a new machine on the volume of a destroying one", err, http.StatusPreconditionFailed, "destroying")
	_, err = w.c.DeleteVolume(ctx, "tenant", w.vol.ID)
	wantFlapsError(t, "delete the volume of a destroying machine", err, http.StatusPreconditionFailed, "destroying")
	err = w.c.Destroy(ctx, "tenant", fly.RemoveMachineInput{ID: m.ID, Kill: true}, "")
	wantFlapsError(t, "destroy a destroying machine", err, http.StatusPreconditionFailed, "destroying")

	w.returnsAfter("wait for destroyed", "GET /v1/apps/tenant/machines/"+m.ID+"/wait", w.tr.Destroy, func() error {
		return w.c.Wait(ctx, "tenant", m, "destroyed", 30*time.Second)
	})
	if got := w.volume(); got.AttachedMachineID != "" {
		t.Fatalf("volume attached to %s after the destroy completed", got.AttachedMachineID)
	}
	w.launch(fly.LaunchMachineInput{Name: "agent-g1", Config: &fly.MachineConfig{Image: "nginx", Mounts: []fly.MachineMount{{Volume: w.vol.ID, Path: "/workspace"}}}})
}

// A machine is answered "created" and starts afterwards: a wait for started returns when the
// start is due on the simulator's clock.
func TestFlyMachineStartsAfterItsCreate(t *testing.T) {
	t.Parallel()
	w := newFidelityWorld(t)
	ctx := context.Background()
	m, err := w.c.Launch(ctx, "tenant", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}})
	if err != nil || m.State != "created" {
		t.Fatalf("launch = %+v, %v; want created", m, err)
	}
	_, err = w.c.Start(ctx, "tenant", m.ID, "")
	wantFlapsError(t, "start a machine that is launching", err, http.StatusPreconditionFailed, "current state")
	err = w.c.Stop(ctx, "tenant", fly.StopMachineInput{ID: m.ID}, "")
	wantFlapsError(t, "stop a machine that is launching", err, http.StatusPreconditionFailed, "current state")
	w.returnsAfter("wait for started", "GET /v1/apps/tenant/machines/"+m.ID+"/wait", w.tr.Start, func() error {
		return w.c.Wait(ctx, "tenant", m, "started", 30*time.Second)
	})
	if s := w.snapshot(m.ID); s.State != "started" || s.Events[len(s.Events)-1].Time != t0.Add(w.tr.Start) {
		t.Fatalf("machine %s, events %+v; want started at the end of the start window", s.State, s.Events)
	}

	// Immediate transitions are there for a test that asks for them.
	quick := simtest.StartFly(t, sim.FlyOptions{ImmediateTransitions: true})
	qc := newFlaps(t, quick, quick.Token)
	mustCreateApp(t, qc, "quick")
	if m, err := qc.Launch(ctx, "quick", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}}); err != nil || m.State != "started" {
		t.Fatalf("launch with immediate transitions = %+v, %v; want started", m, err)
	}
}

// An organization the token is not a member of is made through /_sim/apps in the sandbox.
func TestFlyForeignAppThroughTheTestAPI(t *testing.T) {
	t.Parallel()
	srv := simtest.StartFly(t, sim.FlyOptions{})
	if status, body := rawFly(t, srv, http.MethodPost, "/_sim/apps", "", `{"name":"lp-hermes-alice01-t0","org":"strangers"}`); status != http.StatusCreated {
		t.Fatalf("POST /_sim/apps = %d %s", status, body)
	}
	if status, body := rawFly(t, srv, http.MethodGet, "/v1/apps/lp-hermes-alice01-t0", "", ""); status != http.StatusForbidden || !containsJSON(body, `"error":"unauthorized"`) {
		t.Fatalf("GET another org's app = %d %s, want 403 unauthorized", status, body)
	}
	if status, _ := rawFly(t, srv, http.MethodPost, "/_sim/apps", "", `{"name":"lp-hermes-alice01-t0","org":"strangers"}`); status != http.StatusBadRequest {
		t.Fatalf("POST /_sim/apps for a taken name = %d, want 400", status)
	}

	// With FlyOptions.Orgs the token's organizations are exactly those.
	scoped := simtest.StartFly(t, sim.FlyOptions{Orgs: []string{"acme"}})
	c := newFlaps(t, scoped, scoped.Token)
	if _, err := c.CreateApp(context.Background(), flaps.CreateAppRequest{Name: "ours", Org: "acme"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateApp(context.Background(), flaps.CreateAppRequest{Name: "elsewhere", Org: "personal"})
	wantFlapsError(t, "create outside the token's organizations", err, http.StatusForbidden, "unauthorized")
}

// containsJSON reports whether a JSON body holds part, written without spaces.
func containsJSON(body, part string) bool {
	return strings.Contains(strings.ReplaceAll(body, " ", ""), part)
}

// Volume snapshots through flaps: an on-demand snapshot is kept for the volume's retention,
// outlives the volume within its app (Fly documents restoring a deleted volume from its
// snapshots), restores into a new volume in its region, expires on the clock, and goes with
// its app.
func TestFlyVolumeSnapshots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c, clock := flapsOnSim(t, sim.FlyOptions{})
	if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "lp-hermes-ada-1", Org: "acme"}); err != nil {
		t.Fatal(err)
	}
	size, encrypted, retention := 3, true, 7
	vol, err := c.CreateVolume(ctx, "lp-hermes-ada-1", fly.CreateVolumeRequest{Name: "workspace", Region: "iad", SizeGb: &size, Encrypted: &encrypted})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateVolume(ctx, "lp-hermes-ada-1", vol.ID, fly.UpdateVolumeRequest{SnapshotRetention: &retention}); err != nil {
		t.Fatal(err)
	}
	if snaps, err := c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", vol.ID); err != nil || len(snaps) != 0 {
		t.Fatalf("snapshots of a new volume: %v, %v; want none (no daily snapshots are taken)", snaps, err)
	}
	if err := c.CreateVolumeSnapshot(ctx, "lp-hermes-ada-1", vol.ID); err != nil {
		t.Fatalf("create snapshot: %v", err)
	}
	snaps, err := c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", vol.ID)
	if err != nil || len(snaps) != 1 || snaps[0].ID == "" || snaps[0].Status != "created" || snaps[0].VolumeSize != 3 ||
		snaps[0].RetentionDays == nil || *snaps[0].RetentionDays != 7 || !snaps[0].CreatedAt.Equal(t0) {
		t.Fatalf("snapshots after one was taken: %+v, %v", snaps, err)
	}
	snapID := snaps[0].ID

	// The volume goes; its snapshot stays, listed under the deleted volume's id.
	if _, err := c.DeleteVolume(ctx, "lp-hermes-ada-1", vol.ID); err != nil {
		t.Fatal(err)
	}
	if snaps, err := c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", vol.ID); err != nil || len(snaps) != 1 || snaps[0].ID != snapID {
		t.Fatalf("snapshots of the deleted volume: %+v, %v", snaps, err)
	}

	// Restores: not in another region, not smaller, not from another app's snapshot.
	restore := func(region string, size *int) (*fly.Volume, error) {
		return c.CreateVolume(ctx, "lp-hermes-ada-1", fly.CreateVolumeRequest{Name: "workspace", Region: region, SizeGb: size, SnapshotID: &snapID})
	}
	_, err = restore("ams", nil)
	wantFlapsError(t, "restore in another region", err, http.StatusBadRequest, "region iad")
	small := 1
	_, err = restore("iad", &small)
	wantFlapsError(t, "restore into a smaller volume", err, http.StatusBadRequest, "smaller")
	if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "lp-hermes-bob-1", Org: "acme"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateVolume(ctx, "lp-hermes-bob-1", fly.CreateVolumeRequest{Name: "workspace", Region: "iad", SnapshotID: &snapID})
	wantFlapsError(t, "restore another app's snapshot", err, http.StatusNotFound, "not found")

	restored, err := restore("iad", nil)
	if err != nil || restored.SizeGb != 3 || restored.ID == vol.ID {
		t.Fatalf("restore: %+v, %v; want a new 3 GB volume", restored, err)
	}
	app := srv.Sim.Snapshot().Apps[0]
	if live := app.LiveVolumes(); len(live) != 1 || live[0].RestoredFrom != snapID || len(app.VolumeBackups) != 1 {
		t.Fatalf("after the restore: volumes %+v, backups %+v", app.Volumes, app.VolumeBackups)
	}

	// Seven days on, the snapshot is gone.
	clock.Advance(7*24*time.Hour + time.Second)
	_, err = c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", vol.ID)
	wantFlapsError(t, "snapshots of a deleted volume after the retention", err, http.StatusNotFound, "volume not found")
	_, err = restore("iad", nil)
	wantFlapsError(t, "restore an expired snapshot", err, http.StatusNotFound, "not found")

	// And an app's snapshots go with the app.
	if err := c.CreateVolumeSnapshot(ctx, "lp-hermes-ada-1", restored.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteApp(ctx, "lp-hermes-ada-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "lp-hermes-ada-1", Org: "acme"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", restored.ID)
	wantFlapsError(t, "snapshots after the app was deleted", err, http.StatusNotFound, "volume not found")
}
