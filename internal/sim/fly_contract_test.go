package sim_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"
	"github.com/superfly/fly-go/tokens"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// newFlaps returns fly-go's own flaps client talking to the simulator. flaps reads its base
// URL only from FLY_FLAPS_BASE_URL, so instead of touching the environment (which would
// race with parallel tests) the client's transport sends every request to the simulator.
func newFlaps(t testing.TB, srv *simtest.FlyServer, token string) *flaps.Client {
	t.Helper()
	c, err := flaps.NewWithOptions(context.Background(), flaps.NewClientOpts{
		Tokens:    tokens.Parse(token),
		Transport: srv.Transport(),
	})
	if err != nil {
		t.Fatalf("flaps client: %v", err)
	}
	return c
}

// flapsOnSim starts a Fly simulator with o on a manual clock at t0 and returns it, a flaps
// client with its token, and the clock.
func flapsOnSim(t testing.TB, o sim.FlyOptions) (*simtest.FlyServer, *flaps.Client, *sim.ManualClock) {
	t.Helper()
	clock := sim.NewManualClock(t0)
	o.Clock = clock
	srv := simtest.StartFly(t, o)
	return srv, newFlaps(t, srv, srv.Token), clock
}

// flapsStatus returns the HTTP status inside a flaps error, or 0.
func flapsStatus(err error) int {
	var fe *flaps.FlapsError
	if errors.As(err, &fe) {
		return fe.ResponseStatusCode
	}
	return 0
}

func wantFlapsError(t *testing.T, what string, err error, status int, msgPart string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %d", what, status)
	}
	if got := flapsStatus(err); got != status {
		t.Fatalf("%s: got status %d (%v), want %d", what, got, err, status)
	}
	if !strings.Contains(err.Error(), msgPart) {
		t.Fatalf("%s: error %q does not mention %q", what, err, msgPart)
	}
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestFlyContractTenantLifecycle walks one tenant's whole life through flaps: app → volume
// → IPs → secret → machine → update → stop → destroy → delete app.
func TestFlyContractTenantLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c, clock := flapsOnSim(t, sim.FlyOptions{})
	const appName = "lp-hermes-u1234567-t0abc"

	app, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: appName, Org: "acme", Network: appName})
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	if app.Name != appName || app.Network != appName || app.Organization.Slug != "acme" || app.Status != "pending" {
		t.Fatalf("created app = %+v", app)
	}
	got, err := c.GetApp(ctx, appName)
	if err != nil || got.Name != appName || got.Network != appName {
		t.Fatalf("get app = %+v, %v", got, err)
	}
	apps, err := c.ListApps(ctx, flaps.ListAppsRequest{OrgSlug: "acme"})
	if err != nil || len(apps) != 1 || apps[0].Name != appName {
		t.Fatalf("list acme apps = %+v, %v", apps, err)
	}
	if others, err := c.ListApps(ctx, flaps.ListAppsRequest{OrgSlug: "other"}); err != nil || len(others) != 0 {
		t.Fatalf("list other org apps = %+v, %v; want none", others, err)
	}

	// Volume: encrypted, extended (never shrunk).
	size, encrypted := 1, true
	vol, err := c.CreateVolume(ctx, appName, fly.CreateVolumeRequest{Name: "workspace", Region: "iad", SizeGb: &size, Encrypted: &encrypted})
	if err != nil {
		t.Fatalf("create volume: %v", err)
	}
	if !vol.Encrypted || vol.SizeGb != 1 || vol.Region != "iad" || vol.State != "created" || vol.IsAttached() || !strings.HasPrefix(vol.ID, "vol_") {
		t.Fatalf("created volume = %+v", vol)
	}
	ext, _, err := c.ExtendVolume(ctx, appName, vol.ID, 3)
	if err != nil || ext.SizeGb != 3 {
		t.Fatalf("extend volume to 3 = %+v, %v", ext, err)
	}
	_, _, err = c.ExtendVolume(ctx, appName, vol.ID, 2)
	wantFlapsError(t, "shrink volume", err, http.StatusBadRequest, "never shrunk")

	// IPs: a dedicated v4 and a v6, both real addresses, distinct.
	v4, err := c.AssignIP(ctx, appName, flaps.AssignIPRequest{Type: "v4", Organization: "acme", Network: appName})
	if err != nil {
		t.Fatalf("assign v4: %v", err)
	}
	v6, err := c.AssignIP(ctx, appName, flaps.AssignIPRequest{Type: "v6", Organization: "acme", Network: appName})
	if err != nil {
		t.Fatalf("assign v6: %v", err)
	}
	if a := netip.MustParseAddr(v4.IP); !a.Is4() || v4.Shared {
		t.Fatalf("v4 assignment = %+v", v4)
	}
	if a := netip.MustParseAddr(v6.IP); !a.Is6() || v6.IsFlycast() {
		t.Fatalf("v6 assignment = %+v", v6)
	}
	ips, err := c.GetIPAssignments(ctx, appName)
	if err != nil || len(ips.IPs) != 2 {
		t.Fatalf("list ips = %+v, %v", ips, err)
	}
	_, err = c.AssignIP(ctx, appName, flaps.AssignIPRequest{Type: "v5"})
	wantFlapsError(t, "bad ip type", err, http.StatusBadRequest, "invalid ip type")

	// Secret: the digest comes back, the value never does.
	const secretValue = "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
	set, err := c.SetAppSecret(ctx, appName, "OPENROUTER_API_KEY", secretValue)
	if err != nil {
		t.Fatalf("set secret: %v", err)
	}
	if set.Digest != sim.SecretDigest(secretValue) || set.Value != nil || set.Version == 0 {
		t.Fatalf("set secret answer = %+v", set)
	}
	secrets, err := c.ListAppSecrets(ctx, appName, nil, false)
	if err != nil || len(secrets) != 1 || secrets[0].Name != "OPENROUTER_API_KEY" || secrets[0].Value != nil || secrets[0].Digest != set.Digest {
		t.Fatalf("list secrets = %+v, %v", secrets, err)
	}
	_, err = c.ListAppSecrets(ctx, appName, nil, true)
	wantFlapsError(t, "show secret values", err, http.StatusForbidden, "never returns secret values")

	// Machine: launched with guest, image, env, mounts, metadata.
	clock.Advance(time.Minute)
	launchedAt := clock.Now()
	m, err := c.Launch(ctx, appName, fly.LaunchMachineInput{
		Region: "iad",
		Config: &fly.MachineConfig{
			Image:    "ghcr.io/clawdrun/hermes:1.2.3",
			Guest:    &fly.MachineGuest{CPUKind: "shared", CPUs: 2, MemoryMB: 1024},
			Env:      map[string]string{"PLAN": "pro"},
			Metadata: map[string]string{"tenant": "u1234567"},
			Mounts:   []fly.MachineMount{{Volume: vol.ID, Path: "/workspace"}},
		},
	})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	if m.State != "created" || m.Region != "iad" || m.InstanceID == "" || m.PrivateIP == "" || m.ImageRef.Repository != "clawdrun/hermes" || m.ImageRef.Tag != "1.2.3" {
		t.Fatalf("launched machine = %+v; want it answered created, before it starts", m)
	}
	tr := sim.DefaultTransitions()
	clock.Advance(tr.Start)
	if m, err = c.Get(ctx, appName, m.ID); err != nil || m.State != "started" {
		t.Fatalf("machine once the start window has passed = %+v, %v; want started", m, err)
	}
	if g := m.Config.Guest; g.CPUs != 2 || g.MemoryMB != 1024 || g.CPUKind != "shared" {
		t.Fatalf("guest = %+v", g)
	}
	if mnt := m.Config.Mounts; len(mnt) != 1 || mnt[0].Volume != vol.ID || !mnt[0].Encrypted || mnt[0].SizeGb != 3 {
		t.Fatalf("mounts = %+v", mnt)
	}
	if types := eventTypes(m.Events); !slices.Equal(types, []string{"start", "launch"}) {
		t.Fatalf("launch events (newest first) = %v", types)
	}
	if ts := m.Events[0].Time(); !ts.Equal(launchedAt.Add(tr.Start)) {
		t.Fatalf("start event time %v, want the launch plus the start window, %v", ts, launchedAt.Add(tr.Start))
	}
	if v, _ := c.GetVolume(ctx, appName, vol.ID); v.AttachedMachine == nil || *v.AttachedMachine != m.ID {
		t.Fatalf("volume after launch = %+v, want attached to %s", v, m.ID)
	}
	if a, _ := c.GetApp(ctx, appName); a.Status != "deployed" || a.MachineCount != 1 {
		t.Fatalf("app after launch = %+v", a)
	}

	// A volume is attached to one machine only.
	_, err = c.Launch(ctx, appName, fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx", Mounts: []fly.MachineMount{{Volume: vol.ID, Path: "/data"}}}})
	wantFlapsError(t, "second machine on the same volume", err, http.StatusPreconditionFailed, "is attached to machine "+m.ID)

	// Update under a lease: without the nonce Fly refuses, with it the config changes.
	lease, err := c.AcquireLease(ctx, appName, m.ID, ptr(3*3600))
	if err != nil || lease.Status != "success" || lease.Data == nil || lease.Data.Nonce == "" {
		t.Fatalf("acquire lease = %+v, %v", lease, err)
	}
	cfg := *m.Config
	cfg.Env = map[string]string{"PLAN": "team"}
	_, err = c.Update(ctx, appName, fly.LaunchMachineInput{ID: m.ID, Config: &cfg}, "")
	wantFlapsError(t, "update without nonce", err, http.StatusConflict, "lease currently held by")
	clock.Advance(time.Minute)
	updated, err := c.Update(ctx, appName, fly.LaunchMachineInput{ID: m.ID, Config: &cfg}, lease.Data.Nonce)
	if err != nil {
		t.Fatalf("update with nonce: %v", err)
	}
	if updated.InstanceID == m.InstanceID || updated.Config.Env["PLAN"] != "team" || updated.State != "replacing" {
		t.Fatalf("updated machine = %+v; want a new instance, replacing the old", updated)
	}
	clock.Advance(tr.Start)

	// Stop under the lease, wait for it, and see the events metering reads.
	clock.Advance(time.Hour)
	stoppedAt := clock.Now()
	if err := c.Stop(ctx, appName, fly.StopMachineInput{ID: m.ID}, lease.Data.Nonce); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if stopping, err := c.Get(ctx, appName, m.ID); err != nil || stopping.State != "stopping" {
		t.Fatalf("get right after stop = %+v, %v; want stopping", stopping, err)
	}
	clock.Advance(tr.Stop)
	if err := c.Wait(ctx, appName, updated, "stopped", 5*time.Second); err != nil {
		t.Fatalf("wait stopped: %v", err)
	}
	stopped, err := c.Get(ctx, appName, m.ID)
	if err != nil || stopped.State != "stopped" {
		t.Fatalf("get after stop = %+v, %v", stopped, err)
	}
	if types := eventTypes(stopped.Events); !slices.Equal(types, []string{"exit", "stop", "update", "start", "launch"}) {
		t.Fatalf("events after stop (newest first) = %v", types)
	}
	if exit := stopped.GetLatestEventOfType("exit"); !exit.Time().Equal(stoppedAt.Add(tr.Stop)) || exit.Source != "flyd" || exit.Status != "stopped" {
		t.Fatalf("exit event = %+v at %v, want flyd/stopped at %v", exit, exit.Time(), stoppedAt.Add(tr.Stop))
	} else if code, err := exit.Request.GetExitCode(); err != nil || code != 0 || !exit.Request.ExitEvent.RequestedStop {
		t.Fatalf("exit event request = %+v (%v)", exit.Request, err)
	}
	if err := c.ReleaseLease(ctx, appName, m.ID, lease.Data.Nonce); err != nil {
		t.Fatalf("release lease: %v", err)
	}

	// Destroy: the machine is destroying and keeps its volume for a while; then the volume is
	// free again, the machine reads as destroyed, then is gone.
	if err := c.Destroy(ctx, appName, fly.RemoveMachineInput{ID: m.ID, Kill: true}, ""); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if destroying, err := c.Get(ctx, appName, m.ID); err != nil || destroying.State != "destroying" {
		t.Fatalf("get right after destroy = %+v, %v; want destroying", destroying, err)
	}
	if v, _ := c.GetVolume(ctx, appName, vol.ID); !v.IsAttached() {
		t.Fatalf("volume while its machine is destroying = %+v, want still attached", v)
	}
	_, err = c.DeleteVolume(ctx, appName, vol.ID)
	wantFlapsError(t, "delete the volume of a destroying machine", err, http.StatusPreconditionFailed, "destroying")
	clock.Advance(tr.Destroy)
	gone, err := c.Get(ctx, appName, m.ID)
	if err != nil || gone.State != "destroyed" || gone.Events[0].Type != "destroy" {
		t.Fatalf("get right after destroy = %+v, %v; want state destroyed", gone, err)
	}
	if live, err := c.List(ctx, appName, ""); err != nil || len(live) != 0 {
		t.Fatalf("list after destroy = %d machines, %v; want none", len(live), err)
	}
	if v, _ := c.GetVolume(ctx, appName, vol.ID); v.IsAttached() {
		t.Fatalf("volume after destroy = %+v, want detached", v)
	}
	clock.Advance(10 * time.Minute)
	_, err = c.Get(ctx, appName, m.ID)
	wantFlapsError(t, "get long after destroy", err, http.StatusNotFound, "machine not found")

	// Take the rest down.
	if _, err := c.DeleteVolume(ctx, appName, vol.ID); err != nil {
		t.Fatalf("delete volume: %v", err)
	}
	if v, err := c.GetVolume(ctx, appName, vol.ID); err != nil || v.State != "pending_destroy" {
		t.Fatalf("deleted volume = %+v, %v; want it listed as pending_destroy", v, err)
	}
	if all, err := c.GetAllVolumes(ctx, appName); err != nil || len(all) != 1 || all[0].State != "pending_destroy" {
		t.Fatalf("volumes after delete = %+v, %v; want the deleted one, pending_destroy", all, err)
	}
	if live, err := c.GetVolumes(ctx, appName); err != nil || len(live) != 0 {
		t.Fatalf("flaps.GetVolumes after delete = %+v, %v; want none (it filters pending_destroy)", live, err)
	}
	clock.Advance(24 * time.Hour)
	_, err = c.GetVolume(ctx, appName, vol.ID)
	wantFlapsError(t, "get a volume deleted a day ago", err, http.StatusNotFound, "volume not found")
	if err := c.DeleteIPAssignment(ctx, appName, v4.IP); err != nil {
		t.Fatalf("release v4: %v", err)
	}
	if _, err := c.DeleteAppSecret(ctx, appName, "OPENROUTER_API_KEY"); err != nil {
		t.Fatalf("delete secret: %v", err)
	}
	if err := c.DeleteApp(ctx, appName); err != nil {
		t.Fatalf("delete app: %v", err)
	}
	_, err = c.GetApp(ctx, appName)
	wantFlapsError(t, "get deleted app", err, http.StatusNotFound, "app not found")
	if snap := srv.Sim.Snapshot(); len(snap.Apps) != 0 {
		t.Fatalf("snapshot after delete = %+v; want nothing left behind", snap.Apps)
	}
}

func TestFlyContractErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := simtest.StartFly(t, sim.FlyOptions{})
	c := newFlaps(t, srv, srv.Token)

	t.Run("wrong token is 401", func(t *testing.T) {
		bad := newFlaps(t, srv, "fo1_not-the-token")
		_, err := bad.GetApp(ctx, "anything")
		wantFlapsError(t, "get app with a wrong token", err, http.StatusUnauthorized, "unauthorized")
	})
	t.Run("missing token is 401", func(t *testing.T) {
		res, err := http.Get(srv.URL + "/v1/apps?org_slug=acme")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("no token: status %d, want 401", res.StatusCode)
		}
	})
	t.Run("taken name is 422", func(t *testing.T) {
		if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "taken", Org: "acme"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "taken", Org: "another-org"})
		wantFlapsError(t, "create a taken name in any org", err, http.StatusUnprocessableEntity, "Name has already been taken")
	})
	t.Run("another organization's app is 403, its name 422", func(t *testing.T) {
		if err := srv.Sim.CreateForeignApp("theirs", "strangers"); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetApp(ctx, "theirs")
		wantFlapsError(t, "get another org's app", err, http.StatusForbidden, "unauthorized")
		if ok, err := c.AppNameAvailable(ctx, "theirs"); err != nil || ok {
			t.Fatalf("flaps AppNameAvailable(theirs) = %v, %v; want false (exists in an org we cannot access)", ok, err)
		}
		_, err = c.CreateApp(ctx, flaps.CreateAppRequest{Name: "theirs", Org: "acme"})
		wantFlapsError(t, "create another org's name", err, http.StatusUnprocessableEntity, "uniqueness constraint violated")
		_, err = c.GetIPAssignments(ctx, "theirs")
		wantFlapsError(t, "list another org's IPs", err, http.StatusForbidden, "unauthorized")
		_, err = c.ListApps(ctx, flaps.ListAppsRequest{OrgSlug: "strangers"})
		wantFlapsError(t, "list another org's apps", err, http.StatusForbidden, "unauthorized")
		_, err = c.CreateApp(ctx, flaps.CreateAppRequest{Name: "mine-there", Org: "strangers"})
		wantFlapsError(t, "create in another org", err, http.StatusForbidden, "unauthorized")
	})
	t.Run("invalid name is 422", func(t *testing.T) {
		_, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "Not_A_DNS_Label", Org: "acme"})
		wantFlapsError(t, "create an invalid name", err, http.StatusUnprocessableEntity, "lowercase letters and dashes")
	})
	t.Run("unknown app and machine are 404", func(t *testing.T) {
		_, err := c.GetApp(ctx, "nope")
		wantFlapsError(t, "get missing app", err, http.StatusNotFound, "app not found")
		ok, err := c.AppNameAvailable(ctx, "nope")
		if err != nil || !ok {
			t.Fatalf("flaps AppNameAvailable(nope) = %v, %v; want true", ok, err)
		}
		_, err = c.Get(ctx, "taken", "0123456789abcd")
		wantFlapsError(t, "get missing machine", err, http.StatusNotFound, "machine not found")
		_, err = c.GetVolume(ctx, "taken", "vol_nope")
		wantFlapsError(t, "get missing volume", err, http.StatusNotFound, "volume not found")
	})
	t.Run("bad guest is 400", func(t *testing.T) {
		_, err := c.Launch(ctx, "taken", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx", Guest: &fly.MachineGuest{CPUKind: "shared", CPUs: 1, MemoryMB: 100}}})
		wantFlapsError(t, "launch with 100 MB", err, http.StatusBadRequest, "memory_mb")
		_, err = c.Launch(ctx, "taken", fly.LaunchMachineInput{Config: &fly.MachineConfig{}})
		wantFlapsError(t, "launch without image", err, http.StatusBadRequest, "image")
	})
	t.Run("a region Fly does not have is 400", func(t *testing.T) {
		size := 1
		_, err := c.CreateVolume(ctx, "taken", fly.CreateVolumeRequest{Name: "workspace", Region: "zzz", SizeGb: &size})
		wantFlapsError(t, "volume in zzz", err, http.StatusBadRequest, "not a Fly region")
		_, err = c.Launch(ctx, "taken", fly.LaunchMachineInput{Region: "zzz", Config: &fly.MachineConfig{Image: "nginx"}})
		wantFlapsError(t, "machine in zzz", err, http.StatusBadRequest, "not a Fly region")
	})
	t.Run("machine names are unique per app", func(t *testing.T) {
		in := fly.LaunchMachineInput{Name: "agent", Config: &fly.MachineConfig{Image: "nginx"}}
		if _, err := c.Launch(ctx, "taken", in); err != nil {
			t.Fatal(err)
		}
		_, err := c.Launch(ctx, "taken", in)
		wantFlapsError(t, "second machine with the same name", err, http.StatusConflict, "already_exists")
	})
	t.Run("unbuilt endpoint is 501", func(t *testing.T) {
		err := c.Cordon(ctx, "taken", "0123456789abcd", "")
		wantFlapsError(t, "cordon", err, http.StatusNotImplemented, "not implemented")
	})
}

func TestFlyLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c, clock := flapsOnSim(t, sim.FlyOptions{})
	mustCreateApp(t, c, "leased")
	m, err := c.Launch(ctx, "leased", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}})
	if err != nil {
		t.Fatal(err)
	}
	lease, err := c.AcquireLease(ctx, "leased", m.ID, ptr(30))
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(30 * time.Second).Unix(); lease.Data.ExpiresAt != want {
		t.Fatalf("lease expires_at %d, want %d (from the simulator clock)", lease.Data.ExpiresAt, want)
	}

	// flaps retries a refused acquire for up to a minute, so ask with a short deadline, and
	// check the status on the wire directly.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := c.AcquireLease(short, "leased", m.ID, ptr(30)); err == nil {
		t.Fatal("acquiring a held lease succeeded")
	}
	status, body := rawFly(t, srv, http.MethodPost, "/v1/apps/leased/machines/"+m.ID+"/lease", "", "")
	if status != http.StatusConflict || !strings.Contains(body, "lease currently held by") {
		t.Fatalf("acquire held lease on the wire: %d %s; want 409 lease currently held", status, body)
	}

	// Every mutation without the nonce is refused; with it, it goes through.
	wantFlapsError(t, "stop without nonce", c.Stop(ctx, "leased", fly.StopMachineInput{ID: m.ID}, ""), http.StatusConflict, "aborted")
	wantFlapsError(t, "stop with a wrong nonce", c.Stop(ctx, "leased", fly.StopMachineInput{ID: m.ID}, "not-the-nonce"), http.StatusConflict, "aborted")
	wantFlapsError(t, "destroy without nonce", c.Destroy(ctx, "leased", fly.RemoveMachineInput{ID: m.ID, Kill: true}, ""), http.StatusConflict, "aborted")
	_, err = c.Exec(ctx, "leased", m.ID, &fly.MachineExecRequest{Cmd: "ls"})
	wantFlapsError(t, "exec while leased", err, http.StatusConflict, "lease currently held by")

	// Refresh with the nonce extends the same lease.
	clock.Advance(20 * time.Second)
	refreshed, err := c.RefreshLease(ctx, "leased", m.ID, ptr(30), lease.Data.Nonce)
	if err != nil || refreshed.Data.Nonce != lease.Data.Nonce || refreshed.Data.ExpiresAt != clock.Now().Add(30*time.Second).Unix() {
		t.Fatalf("refresh = %+v, %v", refreshed, err)
	}
	found, err := c.FindLease(ctx, "leased", m.ID)
	if err != nil || found.Data.Nonce != lease.Data.Nonce {
		t.Fatalf("find lease = %+v, %v", found, err)
	}

	// Expiry runs on the simulator's clock: afterwards the machine is unguarded.
	clock.Advance(31 * time.Second)
	_, err = c.FindLease(ctx, "leased", m.ID)
	wantFlapsError(t, "find expired lease", err, http.StatusNotFound, "lease not found")
	if err := c.Stop(ctx, "leased", fly.StopMachineInput{ID: m.ID}, ""); err != nil {
		t.Fatalf("stop after the lease expired: %v", err)
	}
	if err := c.ReleaseLease(ctx, "leased", m.ID, lease.Data.Nonce); flapsStatus(err) != http.StatusNotFound {
		t.Fatalf("release expired lease: %v; want 404", err)
	}

	// A snapshot never shows a nonce.
	second, err := c.AcquireLease(ctx, "leased", m.ID, ptr(30))
	if err != nil {
		t.Fatal(err)
	}
	status, body = rawFly(t, srv, http.MethodGet, "/_sim/snapshot", "", "")
	if status != http.StatusOK || strings.Contains(body, second.Data.Nonce) {
		t.Fatalf("snapshot (%d) leaks the lease nonce", status)
	}
}

func TestFlyWait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Sends waits the API refuses (a bogus state, timeouts out of bounds) on purpose.
	srv := simtest.StartFly(t, sim.FlyOptions{RecordRequests: true}, simtest.WithoutContract())
	c := newFlaps(t, srv, srv.Token)
	mustCreateApp(t, c, "waiting")
	m, err := c.Launch(ctx, "waiting", fly.LaunchMachineInput{SkipLaunch: true, Config: &fly.MachineConfig{Image: "nginx"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.State != "created" {
		t.Fatalf("skip_launch state = %s, want created", m.State)
	}

	// A wait that is satisfied by a later request returns as soon as that request lands.
	done := make(chan error, 1)
	go func() { done <- c.Wait(ctx, "waiting", m, "started", 10*time.Second) }()
	waiting := func(rs []sim.RecordedRequest) bool {
		return len(simtest.Matching(rs, "GET /v1/apps/waiting/machines/"+m.ID+"/wait")) == 1
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := srv.Sim.WaitRequests(wctx, waiting); err != nil {
		t.Fatalf("the wait request never arrived: %v", err)
	}
	if _, err := c.Start(ctx, "waiting", m.ID, ""); err != nil {
		t.Fatalf("start: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("wait started: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wait did not return after the machine started")
	}

	// Starting a started machine is refused as Fly refuses it.
	_, err = c.Start(ctx, "waiting", m.ID, "")
	wantFlapsError(t, "start a started machine", err, http.StatusPreconditionFailed, "unable to start machine from current state")
	// A started machine is destroyed only with kill.
	wantFlapsError(t, "destroy without kill", c.Destroy(ctx, "waiting", fly.RemoveMachineInput{ID: m.ID}, ""), http.StatusPreconditionFailed, "not currently stopped")

	// A wait that is never satisfied answers 408 after its timeout.
	err = c.Wait(ctx, "waiting", m, "stopped", time.Second)
	wantFlapsError(t, "wait for a state that never comes", err, http.StatusRequestTimeout, "deadline_exceeded")

	// Out-of-range timeouts are refused, not clamped (flaps clamps before sending).
	status, body := rawFly(t, srv, http.MethodGet, "/v1/apps/waiting/machines/"+m.ID+"/wait?state=started&timeout=90", srv.Token, "")
	if status != http.StatusBadRequest || !strings.Contains(body, "invalid_argument") {
		t.Fatalf("wait timeout=90: %d %s; want 400 invalid_argument", status, body)
	}
	status, _ = rawFly(t, srv, http.MethodGet, "/v1/apps/waiting/machines/"+m.ID+"/wait?state=bogus", srv.Token, "")
	if status != http.StatusBadRequest {
		t.Fatalf("wait state=bogus: %d; want 400", status)
	}

	// Waiting for destroyed works on the tombstone.
	if err := c.Destroy(ctx, "waiting", fly.RemoveMachineInput{ID: m.ID, Kill: true}, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(ctx, "waiting", m, "destroyed", time.Second); err != nil {
		t.Fatalf("wait destroyed: %v", err)
	}
}

func TestFlyExec(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := simtest.StartFly(t, sim.FlyOptions{})
	srv.Sim.ExecHook(func(app, machineID string, cmd []string) (string, string, int) {
		return app + " " + strings.Join(cmd, "|"), "warn", 3
	})
	c := newFlaps(t, srv, srv.Token)
	mustCreateApp(t, c, "shell")
	m, err := c.Launch(ctx, "shell", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "shell", m.ID, &fly.MachineExecRequest{Cmd: "ls"})
	wantFlapsError(t, "exec on a machine that has not started yet", err, http.StatusPreconditionFailed, "not started")
	if err := c.Wait(ctx, "shell", m, "started", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	out, err := c.Exec(ctx, "shell", m.ID, &fly.MachineExecRequest{Cmd: "ls -la /workspace"})
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	if out.StdOut != "shell ls|-la|/workspace" || out.StdErr != "warn" || out.ExitCode != 3 {
		t.Fatalf("exec answer = %+v", out)
	}
	ms, _ := srv.Sim.Snapshot().Machine(m.ID)
	if len(ms.Execs) != 1 || !slices.Equal(ms.Execs[0].Cmd, []string{"ls", "-la", "/workspace"}) || ms.Execs[0].ExitCode != 3 {
		t.Fatalf("recorded execs = %+v", ms.Execs)
	}
	// flyd splits cmd like a POSIX shell, without one: quotes group, nothing expands.
	for line, want := range map[string][]string{
		`sh -c 'echo "a  b" > /tmp/x'`:           {"sh", "-c", `echo "a  b" > /tmp/x`},
		`printf "%s\n" "it's" 'say "hi"' \$HOME`: {"printf", `%s\n`, "it's", `say "hi"`, "$HOME"},
		`a "" b\ c "\$x\"y"`:                     {"a", "", "b c", `$x"y`},
	} {
		if _, err := c.Exec(ctx, "shell", m.ID, &fly.MachineExecRequest{Cmd: line}); err != nil {
			t.Fatalf("exec %s: %v", line, err)
		}
		ms, _ := srv.Sim.Snapshot().Machine(m.ID)
		if got := ms.Execs[len(ms.Execs)-1].Cmd; !slices.Equal(got, want) {
			t.Errorf("exec %s ran %q, want %q", line, got, want)
		}
	}
	for _, bad := range []string{`echo 'open`, `echo "open`, `echo trailing\`} {
		_, err := c.Exec(ctx, "shell", m.ID, &fly.MachineExecRequest{Cmd: bad})
		wantFlapsError(t, "exec "+bad, err, http.StatusBadRequest, "invalid_argument")
	}
	if err := c.Stop(ctx, "shell", fly.StopMachineInput{ID: m.ID}, ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "shell", m.ID, &fly.MachineExecRequest{Cmd: "ls"})
	wantFlapsError(t, "exec on a stopping machine", err, http.StatusPreconditionFailed, "not started")
}

func TestFlyMetadata(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := simtest.StartFly(t, sim.FlyOptions{})
	c := newFlaps(t, srv, srv.Token)
	mustCreateApp(t, c, "meta")
	m, err := c.Launch(ctx, "meta", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx", Metadata: map[string]string{"a": "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetMetadata(ctx, "meta", m.ID, "b", "2"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteMetadata(ctx, "meta", m.ID, "a"); err != nil {
		t.Fatal(err)
	}
	md, err := c.GetMetadata(ctx, "meta", m.ID)
	if err != nil || len(md) != 1 || md["b"] != "2" {
		t.Fatalf("metadata = %v, %v; want {b:2}", md, err)
	}
}

func mustCreateApp(t *testing.T, c *flaps.Client, name string) {
	t.Helper()
	if _, err := c.CreateApp(context.Background(), flaps.CreateAppRequest{Name: name, Org: "acme", Network: name}); err != nil {
		t.Fatalf("create app %s: %v", name, err)
	}
}

func eventTypes(events []*fly.MachineEvent) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
