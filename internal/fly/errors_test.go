package fly

import (
	"context"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		status   int
		body     string
		wantCode string
		wantText string
	}{
		{400, `{"error":"invalid region \"zzz\""}`, launchpad.EINVALID, `creating volume data for app lp-a-u-1: Fly refused the request (400 Bad Request: invalid region "zzz")`},
		{401, `{"error":"unauthorized"}`, launchpad.EUNAUTHORIZED, "Fly refused the API token (401: unauthorized); check that FLY_API_TOKEN"},
		{403, `{"error":"forbidden"}`, launchpad.EUNAUTHORIZED, "Fly refused the API token (403: forbidden)"},
		{404, `{"error":"app not found"}`, launchpad.ENOTFOUND, "creating volume data for app lp-a-u-1: not found (Fly answered 404: app not found)"},
		{409, `{"error":"already exists"}`, launchpad.ECONFLICT, "conflict (Fly answered 409: already exists)"},
		{422, `{"error":"Name has already been taken"}`, launchpad.ECONFLICT, "Name has already been taken"},
		{422, `{"error":"uniqueness constraint violated"}`, launchpad.ECONFLICT, "uniqueness constraint violated"},
		{412, `{"error":"failed_precondition: volume is attached"}`, launchpad.ECONFLICT, "conflict (Fly answered 412: failed_precondition"},
		{422, `{"error":"size_gb must be at most 500"}`, launchpad.EINVALID, "size_gb must be at most 500"},
		{418, `not json at all`, launchpad.EINVALID, "Fly refused the request (418 I'm a teapot: not json at all)"},
		{501, `{"message":"not implemented here"}`, launchpad.EUNAVAILABLE, "Fly answered 501 Not Implemented after 1 attempt: not implemented here"},
	}
	for _, tt := range tests {
		t.Run(tt.wantText, func(t *testing.T) {
			s, c := appOnSim(t)
			s.Sim.ScriptFaults("POST /v1/apps/{app}/volumes", sim.ScriptedFault{Kind: sim.FaultRespond, Status: tt.status, Body: tt.body})
			_, err := c.CreateVolume(context.Background(), "lp-a-u-1", launchpad.VolumeSpec{Name: "data", Region: "ams", SizeGB: 1, Encrypted: true})
			if code := launchpad.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("code = %q (%v), want %q", code, err, tt.wantCode)
			}
			if msg := launchpad.ErrorMessage(err); !strings.Contains(msg, tt.wantText) {
				t.Errorf("message = %q\nwant it to contain %q", msg, tt.wantText)
			}
			if got := len(sent(s, "POST /v1/apps/lp-a-u-1/volumes")); got != 1 {
				t.Errorf("POSTs = %d, want 1 (a refusal is not retried)", got)
			}
		})
	}
}

func TestMissingObjectsAreNotFound(t *testing.T) {
	_, c := appOnSim(t)
	ctx := context.Background()
	checks := map[string]error{
		"DeleteApp":      c.DeleteApp(ctx, "lp-gone-u-1"),
		"DeleteVolume":   c.DeleteVolume(ctx, "lp-a-u-1", "vol_missing"),
		"ReleaseIP":      c.ReleaseIP(ctx, "lp-a-u-1", "203.0.113.99"),
		"DeleteSecret":   c.DeleteSecret(ctx, "lp-a-u-1", "NOPE"),
		"DestroyMachine": c.DestroyMachine(ctx, "lp-a-u-1", "m-missing", true),
		"StopMachine":    c.StopMachine(ctx, "lp-a-u-1", "m-missing"),
	}
	_, checks["GetApp"] = c.GetApp(ctx, "lp-gone-u-1")
	_, checks["GetVolume"] = c.GetVolume(ctx, "lp-a-u-1", "vol_missing")
	_, checks["GetMachine"] = c.GetMachine(ctx, "lp-a-u-1", "m-missing")
	_, checks["ListVolumes"] = c.ListVolumes(ctx, "lp-gone-u-1")
	for name, err := range checks {
		if !launchpad.IsNotFound(err) {
			t.Errorf("%s: %v, want not_found", name, err)
		}
	}
}

func TestExtendVolumeNeverShrinks(t *testing.T) {
	s, c := appOnSim(t)
	ctx := context.Background()
	v, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "data", Region: "ams", SizeGB: 10, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ExtendVolume(ctx, "lp-a-u-1", v.ID, 5)
	if launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("shrink: %v, want invalid", err)
	}
	if want := "the volume is 10 GB and a volume can only grow"; !strings.Contains(launchpad.ErrorMessage(err), want) {
		t.Errorf("message %q lacks %q", launchpad.ErrorMessage(err), want)
	}
	if n := len(sent(s, "PUT /v1/apps/lp-a-u-1/volumes/"+v.ID+"/extend")); n != 0 {
		t.Errorf("extend requests = %d, want 0", n)
	}
	same, err := c.ExtendVolume(ctx, "lp-a-u-1", v.ID, 10)
	if err != nil || same.SizeGB != 10 {
		t.Errorf("same size: %+v, %v; want a no-op", same, err)
	}
	grown, err := c.ExtendVolume(ctx, "lp-a-u-1", v.ID, 20)
	if err != nil || grown.SizeGB != 20 {
		t.Errorf("grow: %+v, %v; want 20 GB", grown, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := New(ctx, Config{}); launchpad.ErrorCode(err) != launchpad.EUNAUTHORIZED || !strings.Contains(err.Error(), "FLY_API_TOKEN") {
		t.Errorf("no token: %v", err)
	}
	if _, err := New(ctx, Config{Token: testToken, BaseURL: "ftp://x"}); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "FLY_FLAPS_BASE_URL") {
		t.Errorf("bad base URL: %v", err)
	}
	c, err := New(ctx, Config{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListApps(ctx, ""); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "FLY_ORG") {
		t.Errorf("no org: %v", err)
	}
}

// App names are global at Fly. A read of an app of another organization answers 403
// {"error":"unauthorized"} (flaps: "app exists, but in an org we do not have access to"), and
// a create of a name someone holds 422 "uniqueness constraint violated": both mean the name is
// taken (ECONFLICT), so the lifecycle tries another; neither is a refused token. A real 401
// still is.
func TestTakenAppNamesAreConflicts(t *testing.T) {
	s := startSim(t, sim.FlyOptions{})
	c, _ := simClient(t, s)
	ctx := context.Background()
	if err := s.Sim.CreateForeignApp("lp-hermes-alice01-t0", "strangers"); err != nil {
		t.Fatal(err)
	}

	_, err := c.GetApp(ctx, "lp-hermes-alice01-t0")
	if !launchpad.IsConflict(err) || !strings.Contains(launchpad.ErrorMessage(err), "taken by an app of an organization this token cannot access") {
		t.Errorf("GetApp of another organization's app: %v (%s), want a conflict saying the name is taken", err, launchpad.ErrorCode(err))
	}
	if n := len(sent(s, "GET /v1/apps/lp-hermes-alice01-t0")); n != 1 {
		t.Errorf("GETs = %d, want 1 (a 403 is not retried)", n)
	}
	_, err = c.CreateApp(ctx, launchpad.AppSpec{Name: "lp-hermes-alice01-t0"})
	if !launchpad.IsConflict(err) || !strings.Contains(launchpad.ErrorMessage(err), "uniqueness constraint violated") {
		t.Errorf("CreateApp of another organization's name: %v (%s), want a conflict", err, launchpad.ErrorCode(err))
	}

	// The create's answer is lost and the name turns out to be another organization's: the
	// lookup says so, rather than adopting the app or blaming the token.
	s.Sim.ScriptFaults("POST /v1/apps", simtest.Respond(503))
	if err := s.Sim.CreateForeignApp("lp-hermes-bob00001-t0", "strangers"); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateApp(ctx, launchpad.AppSpec{Name: "lp-hermes-bob00001-t0"})
	if !launchpad.IsConflict(err) {
		t.Errorf("CreateApp after a 503, of a name another organization holds: %v (%s), want a conflict", err, launchpad.ErrorCode(err))
	}

	bad, _ := simClient(t, s, func(c *Config) { c.Token = "fo1_not-the-token" })
	if _, err := bad.GetApp(ctx, "lp-hermes-alice01-t0"); launchpad.ErrorCode(err) != launchpad.EUNAUTHORIZED {
		t.Errorf("GetApp with a wrong token: %v, want unauthorized", err)
	}
}
