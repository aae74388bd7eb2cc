package fly

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

const leaseRoute = "POST /v1/apps/{app}/machines/{id}/lease"

func TestLeaseHeldElsewhereIsRetriedThenConflict(t *testing.T) {
	s, c, waits, m := machineOnSim(t)
	ctx := context.Background()
	held := holdLease(t, s, "lp-a-u-1", m.ID) // another operation (a deploy, say) holds it
	err := c.StopMachine(ctx, "lp-a-u-1", m.ID)
	if !launchpad.IsConflict(err) {
		t.Fatalf("StopMachine under someone else's lease: %v, want conflict", err)
	}
	if msg := launchpad.ErrorMessage(err); !strings.Contains(msg, "lease currently held by "+held.Owner) || !strings.Contains(msg, "try again when it is done") {
		t.Errorf("message = %q", msg)
	}
	if n := len(sent(s, "POST /v1/apps/lp-a-u-1/machines/"+m.ID+"/lease?ttl=30")); n != 4 || len(*waits) != 3 {
		t.Errorf("lease attempts = %d, waits = %d; want 4 and 3", n, len(*waits))
	}
	if state := machine(t, s, m.ID).State; state != "started" {
		t.Errorf("the machine is %s: it was stopped without the lease", state)
	}

	// Released in time: the next try gets it.
	releaseLease(t, s, "lp-a-u-1", m.ID, held.Nonce)
	s.Sim.ScriptFaults(leaseRoute, sim.ScriptedFault{Kind: sim.FaultRespond, Status: 409, Body: `{"error":"lease currently held"}`})
	if err := c.StopMachine(ctx, "lp-a-u-1", m.ID); err != nil {
		t.Errorf("StopMachine after one 409: %v", err)
	}
	if state := machine(t, s, m.ID).State; state != "stopping" && state != "stopped" {
		t.Errorf("machine %s, want stopping or stopped", state)
	}
}

// An acquisition whose answer was lost is recognised by its description: the client uses
// that lease instead of waiting for it to expire.
func TestLeaseAcquiredButAnswerLostIsAdopted(t *testing.T) {
	s, c, _, m := machineOnSim(t)
	ctx := context.Background()
	s.Sim.ScriptFaults(leaseRoute, simtest.DropAfter())
	if err := c.StopMachine(ctx, "lp-a-u-1", m.ID); err != nil {
		t.Fatalf("StopMachine: %v", err)
	}
	if n := len(sent(s, "POST /v1/apps/lp-a-u-1/machines/"+m.ID+"/lease?ttl=30")); n != 1 {
		t.Errorf("lease requests = %d, want 1", n)
	}
	if got := machine(t, s, m.ID); !got.LeaseExpiresAt.IsZero() || (got.State != "stopping" && got.State != "stopped") {
		t.Errorf("machine %s with a lease until %s; want stopping (or stopped) and the adopted lease released", got.State, got.LeaseExpiresAt)
	}
}

// heldLease is a lease taken behind the client's back.
type heldLease struct {
	Nonce string `json:"nonce"`
	Owner string `json:"owner"`
}

// holdLease takes the machine's lease as another Fly user of the same organization would.
func holdLease(t *testing.T, s *simtest.FlyServer, app, id string) heldLease {
	t.Helper()
	status, body := flyRequest(t, s, http.MethodPost, "/v1/apps/"+app+"/machines/"+id+"/lease", nil, `{"ttl":120,"description":"deploy"}`)
	var got struct {
		Data heldLease `json:"data"`
	}
	if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil || got.Data.Nonce == "" {
		t.Fatalf("taking the lease: %d (%v)", status, err)
	}
	return got.Data
}

// releaseLease gives back a lease taken with holdLease.
func releaseLease(t *testing.T, s *simtest.FlyServer, app, id, nonce string) {
	t.Helper()
	if status, _ := flyRequest(t, s, http.MethodDelete, "/v1/apps/"+app+"/machines/"+id+"/lease", http.Header{flaps.NonceHeader: {nonce}}, ""); status != http.StatusOK {
		t.Fatalf("releasing the lease: %d", status)
	}
}

// flyRequest sends one request to the simulator with the test token, outside the client.
func flyRequest(t *testing.T, s *simtest.FlyServer, method, path string, header http.Header, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, data
}
