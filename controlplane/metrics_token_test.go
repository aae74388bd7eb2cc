package controlplane

import (
	"net/http"
	"strings"
	"testing"
)

func TestMetricsBehindABearerToken(t *testing.T) {
	token := strings.Repeat("m", 40)
	env := newTestEnv(t, func(c *Config) { c.MetricsToken = token })
	c := env.newClient("prometheus")
	for name, auth := range map[string]string{
		"no token":            "",
		"wrong token":         "Bearer " + strings.Repeat("x", 40),
		"token as prefix":     "Bearer " + token[:39],
		"token not as bearer": "Basic " + token,
	} {
		var h map[string]string
		if auth != "" {
			h = map[string]string{"Authorization": auth}
		}
		r := c.doWith(http.MethodGet, "/metrics", "", h, nil)
		mustStatus(t, r, http.StatusUnauthorized)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") || !strings.Contains(string(r.body), "LAUNCHPAD_METRICS_TOKEN") {
			t.Errorf("%s: WWW-Authenticate %q, body %s; want a Bearer challenge and a message naming the setting", name, r.header.Get("WWW-Authenticate"), r.body)
		}
		if strings.Contains(string(r.body), "launchpad_http_requests_total") {
			t.Errorf("%s: the series were served", name)
		}
	}
	r := c.get("/metrics", token)
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), "launchpad_http_requests_total") {
		t.Fatalf("/metrics with the token has no series: %.200s", r.body)
	}
	env.assertLogsFree(token)
}

// Without LAUNCHPAD_METRICS_TOKEN, /metrics is as it was: open to whoever reaches it.
func TestMetricsOpenWithoutAToken(t *testing.T) {
	env := newTestEnv(t)
	r := env.newClient("prometheus").get("/metrics", "")
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), "go_goroutines") {
		t.Fatalf("/metrics has no series: %.200s", r.body)
	}
}

func TestShortMetricsTokenIsRefused(t *testing.T) {
	cfg := Config{Addr: "127.0.0.1:0", MetricsToken: "short"}.withDefaults()
	problems := strings.Join(cfg.problems(), "\n")
	if !strings.Contains(problems, "LAUNCHPAD_METRICS_TOKEN is 5 characters") || strings.Contains(problems, "short") {
		t.Fatalf("problems = %q; want the length named and the value not shown", problems)
	}
	if s := cfg.String(); strings.Contains(s, "short") {
		t.Fatalf("Config.String shows the metrics token: %s", s)
	}
}
