package fly

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestTenantLifecycleOnFake(t *testing.T) {
	f := newFakeFly(t)
	c, _ := f.client(t)
	ctx := context.Background()
	const app = "lp-hermes-u1-abc"

	created, err := c.CreateApp(ctx, launchpad.AppSpec{Name: app, Org: "acme", Network: app})
	if err != nil {
		t.Fatal(err)
	}
	if created.Network != app || created.Org != "acme" {
		t.Errorf("app = %+v", created)
	}
	var sent flaps.CreateAppRequest
	_ = json.Unmarshal([]byte(f.bodies[0]), &sent)
	if sent != (flaps.CreateAppRequest{Name: app, Org: "acme", Network: app}) {
		t.Errorf("create app body = %+v", sent)
	}
	if got := f.headers[0].Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q, want the token as Bearer", got)
	}

	vol, err := c.CreateVolume(ctx, app, launchpad.VolumeSpec{Name: "workspace", Region: "ams", SizeGB: 5, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	if !vol.Encrypted || vol.SizeGB != 5 || vol.Region != "ams" {
		t.Errorf("volume = %+v", vol)
	}
	if !strings.Contains(f.bodies[len(f.bodies)-1], `"encrypted":true`) {
		t.Errorf("create volume body = %s, want encrypted true", f.bodies[len(f.bodies)-1])
	}

	v4, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv4})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.bodies[len(f.bodies)-1], `"type":"v4"`) {
		t.Errorf("assign body = %s, want a dedicated v4", f.bodies[len(f.bodies)-1])
	}
	v6, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv6})
	if err != nil {
		t.Fatal(err)
	}
	ips, err := c.ListIPs(ctx, app)
	if err != nil || len(ips) != 2 || ips[0].Type != launchpad.IPv4 || ips[1].Type != launchpad.IPv6 || ips[0].Address != v4.Address || ips[1].Address != v6.Address {
		t.Errorf("ips = %v, %v", ips, err)
	}

	digest, err := c.SetSecret(ctx, app, launchpad.KeySecretName, secretValue)
	if err != nil || digest != fmt.Sprintf("digest-%d", len(secretValue)) {
		t.Errorf("SetSecret = %q, %v", digest, err)
	}
	secrets, err := c.ListSecrets(ctx, app)
	if err != nil || len(secrets) != 1 || secrets[0].Digest != digest {
		t.Errorf("secrets = %v, %v", secrets, err)
	}

	spec := launchpad.MachineSpec{
		Name: "agent", Region: "ams", Image: "registry.fly.io/hermes:1",
		Guest:    launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048},
		Env:      map[string]string{"PRODUCT": "hermes"},
		Mounts:   []launchpad.Mount{{VolumeID: vol.ID, Path: launchpad.WorkspaceMount}},
		Metadata: map[string]string{"launchpad_user": "u1"},
	}
	m, err := c.CreateMachine(ctx, app, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := launchpad.Machine{ID: m.ID, Name: "agent", State: "started", Region: "ams", Image: spec.Image, InstanceID: m.InstanceID,
		Guest: spec.Guest, Env: spec.Env, Mounts: spec.Mounts, Metadata: spec.Metadata, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if !reflect.DeepEqual(*m, want) || m.CreatedAt.IsZero() {
		t.Errorf("machine = %+v\nwant      %+v", *m, want)
	}

	// Update under a lease: the nonce goes with the update and the lease is released.
	spec.Guest.MemoryMB = 4096
	updated, err := c.UpdateMachine(ctx, app, m.ID, spec)
	if err != nil {
		t.Fatalf("UpdateMachine: %v", err)
	}
	if updated.Guest.MemoryMB != 4096 || updated.InstanceID == m.InstanceID {
		t.Errorf("updated = %+v", updated)
	}
	if n := f.count("DELETE /v1/apps/" + app + "/machines/" + m.ID + "/lease"); n != 1 {
		t.Errorf("lease releases = %d, want 1", n)
	}
	if len(f.apps[app].leases) != 0 {
		t.Errorf("a lease is still held: %v", f.apps[app].leases)
	}

	if err := c.StopMachine(ctx, app, m.ID); err != nil {
		t.Fatalf("StopMachine: %v", err)
	}
	if err := c.StopMachine(ctx, app, m.ID); err != nil {
		t.Errorf("StopMachine on a stopped machine: %v, want done", err)
	}
	if err := c.WaitMachine(ctx, app, m.ID, "stopped", time.Second); err != nil {
		t.Errorf("WaitMachine stopped: %v", err)
	}
	if err := c.StartMachine(ctx, app, m.ID); err != nil {
		t.Fatalf("StartMachine: %v", err)
	}

	events, err := c.MachineEvents(ctx, app, m.ID)
	if err != nil || len(events) != 2 {
		t.Fatalf("events = %v, %v", events, err)
	}
	if events[0].Type != "launch" || events[1].Type != "start" || !events[0].Time.Equal(time.UnixMilli(1700000001000)) {
		t.Errorf("events not oldest first with times: %+v %+v", events[0], events[1])
	}

	res, err := c.Exec(ctx, app, m.ID, []string{"sh", "-c", "echo 'hi there'"}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.Stdout != `sh -c 'echo '"'"'hi there'"'"''` || res.Stderr != "err" {
		t.Errorf("exec = %+v", res)
	}

	if err := c.DestroyMachine(ctx, app, m.ID, true); err != nil {
		t.Fatalf("DestroyMachine: %v", err)
	}
	if !strings.Contains(strings.Join(f.requests, "\n"), "DELETE /v1/apps/"+app+"/machines/"+m.ID+"?kill=true") {
		t.Errorf("no destroy with kill=true in %v", f.requests)
	}
	for _, ip := range ips {
		if err := c.ReleaseIP(ctx, app, ip.Address); err != nil {
			t.Errorf("ReleaseIP(%s): %v", ip.Address, err)
		}
	}
	if err := c.DeleteVolume(ctx, app, vol.ID); err != nil {
		t.Error(err)
	}
	if err := c.DeleteSecret(ctx, app, launchpad.KeySecretName); err != nil {
		t.Error(err)
	}
	if err := c.DeleteApp(ctx, app); err != nil {
		t.Error(err)
	}
	if len(f.apps) != 0 {
		t.Errorf("apps left: %v", f.apps)
	}
}

func TestLeaseHeldElsewhereIsRetriedThenConflict(t *testing.T) {
	f := newFakeFly(t)
	c, waits := f.client(t)
	ctx := context.Background()
	seedApp(t, c, "lp-a-u-1")
	m, err := c.CreateMachine(ctx, "lp-a-u-1", launchpad.MachineSpec{Name: "agent", Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	f.leaseHeldBy = "deploy@example.com"
	err = c.StopMachine(ctx, "lp-a-u-1", m.ID)
	if !launchpad.IsConflict(err) {
		t.Fatalf("StopMachine under someone else's lease: %v, want conflict", err)
	}
	if msg := launchpad.ErrorMessage(err); !strings.Contains(msg, "lease currently held by deploy@example.com") || !strings.Contains(msg, "try again when it is done") {
		t.Errorf("message = %q", msg)
	}
	if n := f.count("POST /v1/apps/lp-a-u-1/machines/" + m.ID + "/lease"); n != 4 || len(*waits) != 3 {
		t.Errorf("lease attempts = %d, waits = %d; want 4 and 3", n, len(*waits))
	}
	if f.apps["lp-a-u-1"].machines[0].State != "started" {
		t.Errorf("the machine was stopped without the lease")
	}

	// Released in time: the next try gets it.
	f.leaseHeldBy = ""
	f.fail("POST /v1/apps/{app}/machines/{id}/lease", fault{status: 409, body: `{"error":"lease currently held"}`})
	if err := c.StopMachine(ctx, "lp-a-u-1", m.ID); err != nil {
		t.Errorf("StopMachine after one 409: %v", err)
	}
}

// An acquisition whose answer was lost is recognised by its description: the client uses
// that lease instead of waiting for it to expire.
func TestLeaseAcquiredButAnswerLostIsAdopted(t *testing.T) {
	f := newFakeFly(t)
	c, _ := f.client(t)
	ctx := context.Background()
	seedApp(t, c, "lp-a-u-1")
	m, err := c.CreateMachine(ctx, "lp-a-u-1", launchpad.MachineSpec{Name: "agent", Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	f.fail("POST /v1/apps/{app}/machines/{id}/lease", fault{dropAfter: true})
	if err := c.StopMachine(ctx, "lp-a-u-1", m.ID); err != nil {
		t.Fatalf("StopMachine: %v", err)
	}
	if n := f.count("POST /v1/apps/lp-a-u-1/machines/" + m.ID + "/lease?ttl=30"); n != 1 {
		t.Errorf("lease requests = %d, want 1", n)
	}
	if len(f.apps["lp-a-u-1"].leases) != 0 {
		t.Error("the adopted lease was not released")
	}
}

func TestWaitMachineAcrossChunksAndTimeout(t *testing.T) {
	f := newFakeFly(t)
	c, _ := f.client(t)
	ctx := context.Background()
	seedApp(t, c, "lp-a-u-1")
	m, err := c.CreateMachine(ctx, "lp-a-u-1", launchpad.MachineSpec{Name: "agent", Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	// Fly answers 408 twice (not yet), then the machine is stopped.
	f.fail("GET /v1/apps/{app}/machines/{id}/wait", fault{status: 408}, fault{status: 408})
	f.mu.Lock()
	f.apps["lp-a-u-1"].machines[0].State = "stopping"
	f.mu.Unlock()
	go func() {
		for f.count("GET /v1/apps/lp-a-u-1/machines/"+m.ID+"/wait") < 2 {
			time.Sleep(time.Millisecond)
		}
		f.mu.Lock()
		f.apps["lp-a-u-1"].machines[0].State = "stopped"
		f.mu.Unlock()
	}()
	if err := c.WaitMachine(ctx, "lp-a-u-1", m.ID, "stopped", time.Minute); err != nil {
		t.Fatalf("WaitMachine: %v", err)
	}
	if !strings.Contains(strings.Join(f.requests, "\n"), "instance_id="+m.InstanceID) {
		t.Errorf("wait was not scoped to the instance id: %v", f.requests)
	}

	// Never reaches the state: a clock that jumps past the deadline ends the wait.
	start := time.Now()
	calls := 0
	c.now = func() time.Time { calls++; return start.Add(time.Duration(calls) * time.Minute) }
	err = c.WaitMachine(ctx, "lp-a-u-1", m.ID, "started", 90*time.Second)
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || !strings.Contains(launchpad.ErrorMessage(err), "still stopped after 1m30s") {
		t.Errorf("WaitMachine that never gets there: %v", err)
	}
}

// flaps reads its base URL only from FLY_FLAPS_BASE_URL; the client sends every request to
// Config.BaseURL instead, path prefix included, without touching the environment.
func TestBaseURLIsInjected(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Path)
		_ = json.NewEncoder(w).Encode(flaps.App{Name: "lp-a-u-1"})
	}))
	defer srv.Close()
	t.Setenv("FLY_FLAPS_BASE_URL", "http://127.0.0.1:1") // must be ignored
	for _, base := range []string{srv.URL + "/fly", srv.URL + "/fly/v1/", srv.URL} {
		c, err := New(context.Background(), Config{BaseURL: base, Token: testToken})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
			t.Fatalf("GetApp via %s: %v", base, err)
		}
	}
	want := []string{"/fly/v1/apps/lp-a-u-1", "/fly/v1/apps/lp-a-u-1", "/v1/apps/lp-a-u-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths = %v, want %v", got, want)
	}
}

// shellJoin must survive POSIX word splitting: check it against a real shell.
func TestShellJoinRoundTrips(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no sh on PATH to check shell quoting against; CI must provide one")
		}
		t.Skip("no sh on PATH to check shell quoting against")
	}
	args := []string{"printf", "%s\\n", "plain", "two words", "it's", `"double"`, "$HOME", "a;b|c&d", "back\\slash", "", "tab\there", "*"}
	out, err := exec.Command(sh, "-c", "set -f; "+shellJoin(args)).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(args[2:], "\n") + "\n"
	if string(out) != want {
		t.Errorf("shell saw %q\nwant     %q\ncommand: %s", out, want, shellJoin(args))
	}
}

func TestToMachineFallsBackToImageRef(t *testing.T) {
	m := toMachine(&fly.Machine{ID: "m1", ImageRef: fly.MachineImageRef{Registry: "registry.fly.io", Repository: "hermes", Tag: "1"}})
	if m.Image != "registry.fly.io/hermes:1" {
		t.Errorf("image = %q", m.Image)
	}
}
