package sim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// rawFly sends one request to the Fly simulator with plain net/http and returns the status
// and body. An empty token means the simulator's own.
func rawFly(t *testing.T, srv *simtest.FlyServer, method, path, token, body string) (int, string) {
	t.Helper()
	if token == "" {
		token = srv.Token
	}
	return rawRequest(t, method, srv.URL+path, "Bearer "+token, body, nil)
}

// rawRequest sends one request and returns the status and body.
func rawRequest(t *testing.T, method, url, authorization, body string, header http.Header) (int, string) {
	t.Helper()
	req := newRequest(t, method, url, authorization, body, header)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(data)
}

// newRequest builds a request with an Authorization header (when not empty), a JSON body
// (when not empty) and the extra header.
func newRequest(t *testing.T, method, url, authorization, body string, header http.Header) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	return req
}

// startHandler serves h on a loopback port for the test and returns its URL.
func startHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func postJSON(tb testing.TB, client *http.Client, url, key, body string) int {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
