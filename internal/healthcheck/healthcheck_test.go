package healthcheck

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://127.0.0.1:8080/healthz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/healthz",
		":9000":          "http://127.0.0.1:9000/healthz",
		"[::]:9000":      "http://[::1]:9000/healthz",
		"10.0.0.5:80":    "http://10.0.0.5:80/healthz",
		"localhost:8080": "http://localhost:8080/healthz",
	} {
		if got, err := URL(addr); err != nil || got != want {
			t.Errorf("URL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := URL("nonsense"); err == nil {
		t.Error("an address without a port was accepted")
	}
}

func TestRun(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	env := func(k string) string {
		if k == "LAUNCHPAD_ADDR" {
			return strings.TrimPrefix(srv.URL, "http://")
		}
		return ""
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), nil, env, &out, &errb); code != 0 {
		t.Fatalf("healthy: exit %d, %s", code, errb.String())
	}
	status = http.StatusServiceUnavailable
	if code := run(context.Background(), nil, env, &out, &errb); code != 1 || !strings.Contains(errb.String(), "503") {
		t.Fatalf("unhealthy: exit %d, %s", code, errb.String())
	}
	srv.Close()
	if code := run(context.Background(), nil, env, &out, &errb); code != 1 {
		t.Fatalf("nothing listening: exit %d", code)
	}
	if code := run(context.Background(), []string{"x"}, env, &out, &errb); code != 2 {
		t.Fatalf("an argument: exit %d", code)
	}
}
