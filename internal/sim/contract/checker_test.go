package contract_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/contract"
)

// serve runs one request through a Checker of api in front of h and returns what it found.
func serve(t *testing.T, api contract.API, h http.HandlerFunc, method, path, body string) []contract.Violation {
	t.Helper()
	c, err := contract.NewChecker(api)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c.Handler(h).ServeHTTP(httptest.NewRecorder(), req)
	if n, _ := c.Checked(); n != 1 {
		t.Fatalf("checked %d exchanges, want 1", n)
	}
	return c.Violations()
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

const volume = `{"id":"vol_1","name":"workspace","state":"created","size_gb":5,"region":"iad","zone":"ab12","encrypted":true,
"attached_machine_id":"m1","attached_alloc_id":"a1","created_at":"2026-01-01T00:00:00Z","snapshot_retention":5,
"auto_backup_enabled":true,"fstype":"ext4","block_size":4096,"blocks":1310720,"blocks_free":1310720,"blocks_avail":1310720}`

// A request or response that departs from the spec in a way no allowlist line names is a
// violation; one that keeps to it is not.
func TestCheckerFindsDeviations(t *testing.T) {
	for _, c := range []struct {
		name         string
		api          contract.API
		method, path string
		body         string
		handler      http.HandlerFunc
		want         string // a part of the one violation; "" for none
	}{
		{"a volume as the spec has it", contract.Fly, "GET", "/v1/apps/a/volumes/vol_1", "", answer(200, volume), ""},
		{"a volume whose size is a string", contract.Fly, "GET", "/v1/apps/a/volumes/vol_1", "",
			answer(200, strings.Replace(volume, `"size_gb":5`, `"size_gb":"5"`, 1)), "size_gb"},
		{"a create whose size is a string", contract.Fly, "POST", "/v1/apps/a/volumes", `{"name":"w","region":"iad","size_gb":"ten"}`,
			answer(200, volume), "size_gb"},
		{"a status the spec does not have and the allowlist does not name", contract.Fly, "GET", "/v1/apps/a/volumes/vol_1", "",
			answer(418, `{"error":"teapot"}`), "418"},
		{"an endpoint no spec has", contract.Fly, "GET", "/v1/apps/a/certificates-of-nothing", "", answer(200, `{}`), "route"},
		{"an OpenRouter key list as the spec has it", contract.OpenRouter, "GET", "/api/v1/keys", "", answer(200, `{"data":[]}`), ""},
		{"an OpenRouter key without its hash", contract.OpenRouter, "GET", "/api/v1/keys/abc", "",
			answer(200, `{"data":{"name":"k"}}`), "hash"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := serve(t, c.api, c.handler, c.method, c.path, c.body)
			switch {
			case c.want == "" && len(got) != 0:
				t.Errorf("violations %v, want none", got)
			case c.want != "" && (len(got) == 0 || !strings.Contains(got[0].String(), c.want)):
				t.Errorf("violations %v, want one about %q", got, c.want)
			}
		})
	}
}

// The simulators' own test API is not the vendors' and is not checked.
func TestCheckerLeavesOtherPathsAlone(t *testing.T) {
	c, err := contract.NewChecker(contract.Fly)
	if err != nil {
		t.Fatal(err)
	}
	c.Handler(answer(200, `whatever`)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/_sim/snapshot", nil))
	if n, _ := c.Checked(); n != 0 || len(c.Violations()) != 0 {
		t.Errorf("checked %d, violations %v; want /_sim/ left alone", n, c.Violations())
	}
}
