package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

const leakySecret = "sk-or-v1-feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"

func TestFlyStatePersists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "fly.json")
	clock := sim.NewManualClock(t0)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	f, err := sim.OpenFly(sim.FlyOptions{StateFile: path, Clock: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv := &simtest.FlyServer{Sim: f, Token: f.Token()}
	hs := startHandler(t, f)
	srv.URL = hs
	c := newFlaps(t, srv, srv.Token)
	mustCreateApp(t, c, "kept")
	if _, err := c.SetAppSecret(ctx, "kept", "OPENROUTER_API_KEY", leakySecret); err != nil {
		t.Fatal(err)
	}
	size := 1
	vol, err := c.CreateVolume(ctx, "kept", fly.CreateVolumeRequest{Name: "workspace", Region: "iad", SizeGb: &size})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Launch(ctx, "kept", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx", Mounts: []fly.MachineMount{{Volume: vol.ID, Path: "/workspace"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssignIP(ctx, "kept", flaps.AssignIPRequest{Type: "v4"}); err != nil {
		t.Fatal(err)
	}
	before := f.Snapshot()
	if err := f.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("state file: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte(leakySecret)) {
		t.Error("the state file contains a secret value")
	}
	if bytes.Contains(logs.Bytes(), []byte(leakySecret)) || bytes.Contains(logs.Bytes(), []byte(f.Token())) {
		t.Error("the request log contains a secret value or the token")
	}
	if !strings.Contains(logs.String(), `"path":"/v1/apps/kept/secrets/OPENROUTER_API_KEY"`) {
		t.Errorf("the request log lacks the secret request line: %s", logs.String())
	}
	snap, _ := json.Marshal(before)
	if bytes.Contains(snap, []byte(leakySecret)) {
		t.Error("the snapshot contains a secret value")
	}
	assertNoTempFiles(t, dir)

	again, err := sim.OpenFly(sim.FlyOptions{StateFile: path, Clock: clock})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if after := again.Snapshot(); !reflect.DeepEqual(before.Apps, after.Apps) {
		t.Fatalf("state after reopening differs:\nbefore %+v\nafter  %+v", before.Apps, after.Apps)
	}
	// Addresses stay unique across the restart.
	srv2 := &simtest.FlyServer{Sim: again, Token: again.Token(), URL: startHandler(t, again)}
	ip, err := newFlaps(t, srv2, srv2.Token).AssignIP(ctx, "kept", flaps.AssignIPRequest{Type: "v4"})
	if err != nil || ip.IP == before.Apps[0].IPs[0].Address {
		t.Fatalf("v4 after restart = %+v, %v; want a fresh address", ip, err)
	}
}

func TestOpenRouterStatePersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "openrouter.json")
	or, err := sim.OpenOpenRouter(sim.OpenRouterOptions{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	srv := &simtest.OpenRouterServer{Sim: or, ManagementKey: or.ManagementKey()}
	srv.Origin = startHandler(t, or)
	srv.URL = srv.Origin + sim.OpenRouterBasePath
	c := orClient{t, srv}
	_, body := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "kept", "limit": 3})
	key := body["key"].(string)
	if err := or.Spend(key, 1.25); err != nil {
		t.Fatal(err)
	}
	before := or.Snapshot()
	if err := or.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte(key)) || bytes.Contains(data, []byte(or.ManagementKey())) {
		t.Fatal("the state file contains a plaintext key")
	}
	assertNoTempFiles(t, dir)

	again, err := sim.OpenOpenRouter(sim.OpenRouterOptions{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	after := again.Snapshot()
	if !reflect.DeepEqual(before.Keys, after.Keys) || before.WorkspaceID != after.WorkspaceID {
		t.Fatalf("state after reopening differs:\nbefore %+v\nafter  %+v", before, after)
	}
	// The restarted simulator still knows the key by its hash, without ever storing it.
	if err := again.Spend(key, 0.25); err != nil {
		t.Fatalf("spend with a key minted before the restart: %v", err)
	}
}

func TestBadStateFileIsAnError(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.OpenFly(sim.FlyOptions{StateFile: path}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenFly with a corrupt state file: %v; want an error naming the file", err)
	}
	if _, err := sim.OpenOpenRouter(sim.OpenRouterOptions{StateFile: path}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenOpenRouter with a corrupt state file: %v; want an error naming the file", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "{not json" {
		t.Fatal("the corrupt state file was changed")
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
