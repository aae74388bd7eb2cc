package sim_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// TestOpenRouterNeverLogsKeys: the request log at debug level, the snapshot over HTTP and
// the gateway's refusals never carry a plaintext key or the management key.
func TestOpenRouterNeverLogsKeys(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	c := orClient{t, srv}
	_, body := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "secret-holder", "limit": 0.01})
	key := body["key"].(string)
	c.complete(key, 0.01)
	_, refusal := c.complete(key, 0.01)
	c.do(http.MethodGet, "/key", key, nil)
	_, snap := rawRequest(t, http.MethodGet, srv.Origin+"/_sim/snapshot", "Bearer "+srv.ManagementKey, "", nil)
	for what, text := range map[string]string{"log": logs.String(), "snapshot": snap, "refusal": refusal["error"].(map[string]any)["message"].(string)} {
		if bytes.Contains([]byte(text), []byte(key)) || bytes.Contains([]byte(text), []byte(srv.ManagementKey)) {
			t.Errorf("the %s contains a plaintext key", what)
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte("path=/api/v1/chat/completions")) {
		t.Errorf("the debug log lacks the request lines: %s", logs.String())
	}
}
