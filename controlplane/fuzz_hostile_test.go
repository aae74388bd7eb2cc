package controlplane

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Fuzz targets for the handlers fuzz_test.go does not reach: the tenant actions (admin and
// the user's own rotate-key), which need Fly and OpenRouter, and the query strings of the
// GET routes. Each answer must be JSON and never 5xx.

// liveFuzzServer is a server with Fly and OpenRouter on their simulators, a user and that
// user's access token.
func liveFuzzServer(f *testing.F) (*Server, string) {
	f.Helper()
	srv, _, mailer := newFuzzServer(f, simulatedClouds(f),
		&launchpad.User{ID: "fuzzuser", Email: "fuzz@example.com", Plan: launchpad.TrialPlan})
	return srv, signInThrough(f, srv, mailer, "fuzz@example.com").AccessToken
}

func checkAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s answered %d: %s", what, rec.Code, rec.Body.String())
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s answered %d with non-JSON: %q", what, rec.Code, rec.Body.String())
	}
	if rec.Code >= 400 {
		var e httpjson.ErrorBody
		if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s answered %d without a coded error: %s", what, rec.Code, rec.Body.String())
		}
	}
}

var tenantActions = []string{"apply", "exec", "rotate-key", "revoke-key", "rebuild"}

// FuzzAdminTenantAction fuzzes the user id in the path and the body of every
// POST /api/admin/tenants/{user_id}/… action.
func FuzzAdminTenantAction(f *testing.F) {
	srv, _ := liveFuzzServer(f)
	for i := range tenantActions {
		for _, id := range []string{"fuzzuser", "nobody", "../etc", "a%2Fb", "x' OR 1=1--", strings.Repeat("z", 300)} {
			for _, body := range []string{"", "{}", `{"command":["ls","-la"]}`, `{"command":[]}`, `{"command":["\u0000"],"timeout_seconds":-1}`, "[", "{\"x\":1}"} {
				f.Add(uint8(i), id, []byte(body))
			}
		}
	}
	f.Fuzz(func(t *testing.T, action uint8, id string, body []byte) {
		if id == "" || id == "." || id == ".." {
			return // no such path segment: net/http cleans or redirects it before any route
		}
		path := "/api/admin/tenants/" + url.PathEscape(id) + "/" + tenantActions[int(action)%len(tenantActions)]
		u, err := url.Parse(path)
		if err != nil {
			return
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		req.URL, req.RequestURI = u, u.RequestURI()
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+fuzzAdminToken)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		checkAnswer(t, "POST "+path, rec)
	})
}

// FuzzMeRotateKey fuzzes the body of the user's own POST /api/me/rotate-key.
func FuzzMeRotateKey(f *testing.F) {
	srv, token := liveFuzzServer(f)
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/me/rotate-key", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		checkAnswer(t, "POST /api/me/rotate-key", rec)
	})
}

var queryRoutes = []struct {
	path  string
	admin bool
}{{"/api/audit", false}, {"/api/me", false}, {"/api/admin/audit", true}, {"/api/admin/jobs", true}}

// FuzzQueries fuzzes the query string of every GET route that reads one.
func FuzzQueries(f *testing.F) {
	srv, token := liveFuzzServer(f)
	for i := range queryRoutes {
		for _, q := range []string{"", "limit=10", "cursor=abc", "stream=fuzzuser", "since=2026-01-01T00:00:00Z", "user_id=fuzzuser&kind=apply&status=queued",
			"limit=-1", "limit=99999999999999999999", "stream=%00", "%zz", "a=1&a=2", "cursor=" + strings.Repeat("9", 40)} {
			f.Add(uint8(i), q)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		r := queryRoutes[int(route)%len(queryRoutes)]
		req := httptest.NewRequest(http.MethodGet, r.path, nil)
		req.URL.RawQuery = query
		tok := token
		if r.admin {
			tok = fuzzAdminToken
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		checkAnswer(t, "GET "+r.path+"?"+query, rec)
	})
}
