package controlplane

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
)

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// exchange sends one request to url and reads the whole answer. The in-process server's
// clients and the whole stack's share it; an error is a request that got no answer, which
// the hostile-input tests report rather than stop on.
func exchange(hc *http.Client, method, url, token string, header map[string]string, body []byte) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
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
