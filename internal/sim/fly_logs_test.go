package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// The log API: the token is required, another app's lines never show, a next_token the API
// did not give is refused, pages hold at most 100 lines and next_token gives only newer
// ones, and each machine keeps only its newest 500 lines.
func TestFlyLogRing(t *testing.T) {
	t.Parallel()
	srv := simtest.StartFly(t, sim.FlyOptions{ImmediateTransitions: true})
	for _, app := range []string{"lp-logs-a", "lp-logs-b"} {
		if status, body := rawFly(t, srv, http.MethodPost, "/v1/apps", "", `{"app_name":"`+app+`","org_slug":"acme"}`); status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", app, status, body)
		}
	}
	var machine struct {
		ID string `json:"id"`
	}
	status, body := rawFly(t, srv, http.MethodPost, "/v1/apps/lp-logs-a/machines", "", `{"config":{"image":"img"}}`)
	if status != http.StatusOK || json.Unmarshal([]byte(body), &machine) != nil {
		t.Fatalf("create machine: %d %s", status, body)
	}
	for i := range 600 {
		if err := srv.Sim.AppendLog("lp-logs-a", machine.ID, "info", fmt.Sprintf("line %03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Sim.AppendLog("lp-logs-b", machine.ID, "info", "x"); err == nil {
		t.Fatal("AppendLog took a machine of another app")
	}
	type page struct {
		Data []struct {
			Attributes struct {
				Message, Instance string
			} `json:"attributes"`
		} `json:"data"`
		Meta struct {
			NextToken string `json:"next_token"`
		} `json:"meta"`
	}
	read := func(path string) page {
		t.Helper()
		status, body := rawFly(t, srv, http.MethodGet, path, "", "")
		var p page
		if status != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		return p
	}
	var lines []string
	token := ""
	for range 10 {
		p := read("/api/v1/apps/lp-logs-a/logs?next_token=" + token)
		if len(p.Data) > 100 {
			t.Fatalf("a page of %d lines, more than 100", len(p.Data))
		}
		if len(p.Data) == 0 {
			break
		}
		for _, d := range p.Data {
			lines = append(lines, d.Attributes.Message)
			if d.Attributes.Instance != machine.ID {
				t.Fatalf("line of instance %q, want %q", d.Attributes.Instance, machine.ID)
			}
		}
		token = p.Meta.NextToken
	}
	if len(lines) != 500 || lines[0] != "line 100" || lines[499] != "line 599" {
		t.Fatalf("the ring holds %d lines, %q … %q; want the newest 500", len(lines), lines[0], lines[len(lines)-1])
	}
	if p := read("/api/v1/apps/lp-logs-b/logs"); len(p.Data) != 0 {
		t.Fatalf("another app shows %d lines", len(p.Data))
	}
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{"/api/v1/apps/lp-logs-a/logs?next_token=abc", "", http.StatusBadRequest},
		{"/api/v1/apps/lp-nope/logs", "", http.StatusNotFound},
		{"/api/v1/apps/lp-logs-a/logs", "fo1_not-the-token", http.StatusUnauthorized},
	} {
		if status, body := rawFly(t, srv, http.MethodGet, tc.path, tc.token, ""); status != tc.status {
			t.Errorf("GET %s: %d %s, want %d", tc.path, status, body, tc.status)
		}
	}
}
