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
	"slices"
	"strings"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// t0 is when the lifecycle test's simulator clock starts: machine events are stamped with
// it, to the millisecond.
var t0 = time.UnixMilli(1700000001000).UTC()

func TestTenantLifecycleOnSim(t *testing.T) {
	clock := sim.NewManualClock(t0)
	s := startSim(t, sim.FlyOptions{Clock: clock})
	s.Sim.ExecHook(func(_, _ string, _ []string) (string, string, int) { return "out", "err", 3 })
	c, _ := simClient(t, s)
	ctx := context.Background()
	const app = "lp-hermes-u1-abc"

	created, err := c.CreateApp(ctx, launchpad.AppSpec{Name: app, Org: "acme", Network: app})
	if err != nil {
		t.Fatal(err)
	}
	if created.Network != app || created.Org != "acme" {
		t.Errorf("app = %+v", created)
	}
	create := lastSent(t, s, "POST /v1/apps")
	var sentApp flaps.CreateAppRequest
	_ = json.Unmarshal([]byte(create.Body), &sentApp)
	if sentApp != (flaps.CreateAppRequest{Name: app, Org: "acme", Network: app}) {
		t.Errorf("create app body = %+v", sentApp)
	}
	// The simulator takes only its token (testToken): a 201 means that token went along.
	if create.AuthScheme != "Bearer" || create.Status != http.StatusCreated {
		t.Errorf("Authorization scheme %q answered %d, want the token as Bearer, accepted", create.AuthScheme, create.Status)
	}

	vol, err := c.CreateVolume(ctx, app, launchpad.VolumeSpec{Name: "workspace", Region: "ams", SizeGB: 5, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	if !vol.Encrypted || vol.SizeGB != 5 || vol.Region != "ams" {
		t.Errorf("volume = %+v", vol)
	}
	if body := lastSent(t, s, "POST /v1/apps/"+app+"/volumes").Body; !strings.Contains(body, `"encrypted":true`) {
		t.Errorf("create volume body = %s, want encrypted true", body)
	}

	v4, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv4})
	if err != nil {
		t.Fatal(err)
	}
	if body := lastSent(t, s, "POST /v1/apps/"+app+"/ip_assignments").Body; !strings.Contains(body, `"type":"v4"`) {
		t.Errorf("assign body = %s, want a dedicated v4", body)
	}
	v6, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv6})
	if err != nil {
		t.Fatal(err)
	}
	ips, err := c.ListIPs(ctx, app)
	if err != nil || len(ips) != 2 || ips[0].Type != launchpad.IPv4 || ips[1].Type != launchpad.IPv6 || ips[0].Address != v4.Address || ips[1].Address != v6.Address {
		t.Errorf("ips = %v, %v", ips, err)
	}

	set, err := c.SetSecret(ctx, app, launchpad.KeySecretName, secretValue)
	if err != nil || set.Digest != sim.SecretDigest(secretValue) || set.Version == 0 {
		t.Fatalf("SetSecret = %+v, %v; want the digest of the value sent and its version", set, err)
	}
	secrets, err := c.ListSecrets(ctx, app)
	if err != nil || len(secrets) != 1 || secrets[0].Digest != set.Digest {
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
	// Fly answers the create at once ("created") and starts the machine afterwards.
	tr := sim.DefaultTransitions()
	want := launchpad.Machine{ID: m.ID, Name: "agent", State: "created", Region: "ams", Image: spec.Image, InstanceID: m.InstanceID,
		Guest: spec.Guest, Env: spec.Env, Mounts: spec.Mounts, Metadata: spec.Metadata, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if !reflect.DeepEqual(*m, want) || m.CreatedAt.IsZero() {
		t.Errorf("machine = %+v\nwant      %+v", *m, want)
	}

	clock.Advance(tr.Start)
	if err := c.WaitMachine(ctx, app, m.ID, launchpad.MachineStarted, time.Second); err != nil {
		t.Fatalf("WaitMachine started: %v", err)
	}

	// Update under a lease: the nonce goes with the update (the simulator refuses a leased
	// machine's update without it) and the lease is released.
	clock.Advance(time.Second)
	spec.Guest.MemoryMB = 4096
	updated, err := c.UpdateMachine(ctx, app, m.ID, spec)
	if err != nil {
		t.Fatalf("UpdateMachine: %v", err)
	}
	if updated.Guest.MemoryMB != 4096 || updated.InstanceID == m.InstanceID {
		t.Errorf("updated = %+v", updated)
	}
	if n := len(sent(s, "DELETE /v1/apps/"+app+"/machines/"+m.ID+"/lease")); n != 1 {
		t.Errorf("lease releases = %d, want 1", n)
	}
	if l := machine(t, s, m.ID).LeaseExpiresAt; !l.IsZero() {
		t.Errorf("a lease is still held, until %s", l)
	}
	clock.Advance(tr.Start) // the replaced machine boots

	clock.Advance(time.Second)
	if err := c.StopMachine(ctx, app, m.ID); err != nil {
		t.Fatalf("StopMachine: %v", err)
	}
	if err := c.StopMachine(ctx, app, m.ID); err != nil {
		t.Errorf("StopMachine on a stopping machine: %v, want done", err)
	}
	clock.Advance(tr.Stop)
	if err := c.WaitMachine(ctx, app, m.ID, "stopped", time.Second); err != nil {
		t.Errorf("WaitMachine stopped: %v", err)
	}
	if err := c.StopMachine(ctx, app, m.ID); err != nil {
		t.Errorf("StopMachine on a stopped machine: %v, want done", err)
	}
	clock.Advance(time.Second)
	if err := c.StartMachine(ctx, app, m.ID); err != nil {
		t.Fatalf("StartMachine: %v", err)
	}
	clock.Advance(tr.Start)

	events, err := c.MachineEvents(ctx, app, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s@%s", e.Type, e.Time.Sub(t0)))
	}
	// Oldest first, with the times Fly stamped (Unix milliseconds).
	if wantEvents := []string{"launch@0s", "start@200ms", "update@1.4s", "stop@2.4s", "exit@2.5s", "start@3.7s"}; !slices.Equal(got, wantEvents) {
		t.Errorf("events = %v, want %v", got, wantEvents)
	}

	res, err := c.Exec(ctx, app, m.ID, []string{"sh", "-c", "echo 'hi there'"}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.Stdout != "out" || res.Stderr != "err" {
		t.Errorf("exec = %+v", res)
	}
	var execReq fly.MachineExecRequest
	_ = json.Unmarshal([]byte(lastSent(t, s, "POST /v1/apps/"+app+"/machines/"+m.ID+"/exec").Body), &execReq)
	if execReq.Cmd != `sh -c 'echo '"'"'hi there'"'"''` {
		t.Errorf("exec sent cmd %q", execReq.Cmd)
	}
	// Fly splits cmd into words as a shell would: the quoted argument arrives whole.
	if execs := machine(t, s, m.ID).Execs; len(execs) != 1 || !slices.Equal(execs[0].Cmd, []string{"sh", "-c", "echo 'hi there'"}) {
		t.Errorf("the machine ran %+v, want sh -c \"echo 'hi there'\"", execs)
	}

	if err := c.DestroyMachine(ctx, app, m.ID, true); err != nil {
		t.Fatalf("DestroyMachine: %v", err)
	}
	if err := c.DestroyMachine(ctx, app, m.ID, true); err != nil {
		t.Errorf("DestroyMachine of a destroying machine: %v, want done", err)
	}
	// Destroying: the volume stays attached, and deleting it is a conflict until the
	// machine is destroyed.
	if err := c.DeleteVolume(ctx, app, vol.ID); !launchpad.IsConflict(err) {
		t.Errorf("DeleteVolume while its machine is destroying: %v, want conflict", err)
	}
	clock.Advance(tr.Destroy)
	if err := c.WaitMachine(ctx, app, m.ID, launchpad.MachineDestroyed, time.Second); err != nil {
		t.Errorf("WaitMachine destroyed: %v", err)
	}
	if d := lastSent(t, s, "DELETE /v1/apps/"+app+"/machines/"+m.ID); !strings.Contains("&"+d.Query+"&", "&kill=true&") {
		t.Errorf("destroy sent with query %q, want kill=true", d.Query)
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
	if left := s.Sim.Snapshot().Apps; len(left) != 0 {
		t.Errorf("apps left: %+v", left)
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
