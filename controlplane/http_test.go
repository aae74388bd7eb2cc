package controlplane

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	harness "github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// exchange sends one request to base+path and reads the whole answer, as the harness's API
// client does for demo and chaos; the in-process server's clients and the whole stack's share
// it. An error is a request that got no answer, which the hostile-input tests report rather
// than stop on.
func exchange(hc *http.Client, base, method, path, token string, header map[string]string, body []byte) (*response, error) {
	res, b, err := (&harness.Client{URL: base, HC: hc}).Exchange(context.Background(), method, path, token, header, body)
	if err != nil {
		return nil, err
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}, nil
}

// jsonBody is body as a request sends it: a string as it is (to send what no encoder would
// write), anything else encoded as JSON.
func jsonBody(t testing.TB, body any) []byte {
	t.Helper()
	if s, ok := body.(string); ok {
		return []byte(s)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.status, err, r.body)
	}
}

// errorCode returns the code of a JSON error body, failing the test on any other body.
func (r *response) errorCode(t *testing.T) string {
	t.Helper()
	var b httpjson.ErrorBody
	r.decode(t, &b)
	if b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("status %d without a JSON error: %s", r.status, r.body)
	}
	return b.Error.Code
}

func mustStatus(t *testing.T, r *response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
}
