package openrouter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

func ptr[T any](v T) *T { return &v }

func TestKeyLifecycle(t *testing.T) {
	s := startSim(t)
	c, _ := simClient(t, s)
	ctx := context.Background()

	issued, err := c.CreateKey(ctx, launchpad.KeySpec{Name: "lp-sub-u1", LimitUSD: ptr(12.5), LimitReset: launchpad.LimitResetMonthly})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(issued.Key, "sk-or-v1-") || issued.Info.Hash == "" {
		t.Fatalf("issued = hash %q, key present %v", issued.Info.Hash, issued.Key != "")
	}
	if *issued.Info.LimitUSD != 12.5 || issued.Info.LimitReset != "monthly" || issued.Info.IncludeBYOKInLimit || issued.Info.CreatedAt.IsZero() {
		t.Errorf("info = %+v", issued.Info)
	}
	var body map[string]any
	_ = json.Unmarshal([]byte(lastBody(t, s, "POST /api/v1/keys")), &body)
	want := map[string]any{"name": "lp-sub-u1", "limit": 12.5, "limit_reset": "monthly", "include_byok_in_limit": false}
	if !jsonEqual(body, want) {
		t.Errorf("create body = %v, want %v", body, want)
	}

	got, err := c.GetKey(ctx, issued.Info.Hash)
	if err != nil || got.Name != "lp-sub-u1" || got.UpdatedAt != (time.Time{}) {
		t.Errorf("GetKey = %+v, %v", got, err)
	}

	// PATCH sends only the fields that are set.
	updated, err := c.UpdateKey(ctx, issued.Info.Hash, launchpad.KeyUpdate{LimitUSD: ptr(40.0)})
	if err != nil {
		t.Fatal(err)
	}
	body = nil
	_ = json.Unmarshal([]byte(lastBody(t, s, "PATCH /api/v1/keys/"+issued.Info.Hash)), &body)
	if !jsonEqual(body, map[string]any{"limit": 40.0}) {
		t.Errorf("patch body = %v, want only the limit", body)
	}
	if *updated.LimitUSD != 40 || updated.LimitReset != "monthly" || updated.UpdatedAt.IsZero() {
		t.Errorf("updated = %+v", updated)
	}
	// An empty reset is JSON null: a limit that never resets.
	updated, err = c.UpdateKey(ctx, issued.Info.Hash, launchpad.KeyUpdate{LimitReset: ptr(""), Disabled: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if raw := lastBody(t, s, "PATCH /api/v1/keys/"+issued.Info.Hash); raw != `{"disabled":true,"limit_reset":null}` {
		t.Errorf("patch body = %s", raw)
	}
	if updated.LimitReset != "" || !updated.Disabled {
		t.Errorf("updated = %+v", updated)
	}

	keys, err := c.ListKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].Hash != issued.Info.Hash {
		t.Errorf("ListKeys = %v, %v", keys, err)
	}
	if len(sent(s, "GET /api/v1/keys?include_disabled=true")) == 0 {
		t.Errorf("list did not ask for disabled keys: %v", sent(s, "GET /api/v1/keys"))
	}

	if err := c.DeleteKey(ctx, issued.Info.Hash); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(ctx, issued.Info.Hash); !launchpad.IsNotFound(err) {
		t.Errorf("second DeleteKey: %v, want not_found", err)
	}
	if _, err := c.GetKey(ctx, issued.Info.Hash); !launchpad.IsNotFound(err) {
		t.Errorf("GetKey after delete: %v, want not_found", err)
	}
}

func TestCreateKeyWithoutLimitLeavesItOut(t *testing.T) {
	s := startSim(t)
	c, _ := simClient(t, s)
	k, err := c.CreateKey(context.Background(), launchpad.KeySpec{Name: "unlimited", IncludeBYOKInLimit: true})
	if err != nil {
		t.Fatal(err)
	}
	if body := lastBody(t, s, "POST /api/v1/keys"); body != `{"name":"unlimited","include_byok_in_limit":true}` {
		t.Errorf("create body = %s", body)
	}
	if k.Info.LimitUSD != nil || k.Info.LimitReset != "" || !k.Info.IncludeBYOKInLimit {
		t.Errorf("info = %+v: want no limit (null), no reset (null), byok included", k.Info)
	}
}

// OpenRouter pages its list by 100 keys: 201 keys take three pages and an empty fourth,
// each asked for at the offset of the keys already read.
func TestListKeysFollowsPages(t *testing.T) {
	s := startSim(t)
	c, _ := simClient(t, s)
	ctx := context.Background()
	const n = 201
	for i := range n {
		if _, err := c.CreateKey(ctx, launchpad.KeySpec{Name: fmt.Sprintf("k%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	before := len(s.Sim.Requests())
	keys, err := c.ListKeys(ctx)
	if err != nil || len(keys) != n {
		t.Fatalf("ListKeys = %d keys, %v; want %d", len(keys), err, n)
	}
	var offsets []string
	for _, r := range simtest.Matching(s.Sim.Requests()[before:], "GET /api/v1/keys") {
		q, _ := url.ParseQuery(r.Query)
		offsets = append(offsets, q.Get("offset"))
	}
	if want := []string{"", "100", "200", "201"}; !slices.Equal(offsets, want) {
		t.Errorf("list requests at offsets %q, want %q (pages of 100, then an empty one)", offsets, want)
	}
}

var ambiguousFaults = map[string]sim.ScriptedFault{
	"dropped connection": simtest.DropAfter(),
	"500 after minting":  simtest.FailAfter(500),
	"timeout":            simtest.HangAfter(),
	// Minted, but the answer carries no plaintext (nor hash): the client cannot use it.
	"201 without plaintext": {Kind: sim.FaultFailAfter, Status: 201, Body: `{"data":{"name":"lp-sub-u1"}}`},
}

// A mint whose answer was lost leaves a key nobody has the plaintext of. The client deletes
// it and mints again: the caller gets a plaintext, and one key with the name remains (plus
// any that existed before the call, untouched).
func TestCreateKeyAfterAmbiguousFailureLeavesNoOrphan(t *testing.T) {
	for name, flt := range ambiguousFaults {
		t.Run(name, func(t *testing.T) {
			s := startSim(t)
			c, _ := simClient(t, s, func(c *Config) { c.Timeout = 200 * time.Millisecond })
			ctx := context.Background()
			older, err := c.CreateKey(ctx, launchpad.KeySpec{Name: "lp-sub-u1"})
			if err != nil {
				t.Fatal(err)
			}
			s.Sim.ScriptFaults("POST /api/v1/keys", flt)
			issued, err := c.CreateKey(ctx, launchpad.KeySpec{Name: "lp-sub-u1", LimitUSD: ptr(5.0)})
			if err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			// A key's hash is the SHA-256 of its plaintext: the plaintext returned is the
			// returned key's, and that key is one the simulator holds (below).
			if sum := sha256.Sum256([]byte(issued.Key)); issued.Key == "" || hex.EncodeToString(sum[:]) != issued.Info.Hash {
				t.Errorf("the returned plaintext is not the live key's")
			}
			hashes := named(s, "lp-sub-u1")
			if len(hashes) != 2 || hashes[0] != older.Info.Hash || hashes[1] != issued.Info.Hash {
				t.Errorf("keys named lp-sub-u1 = %v, want the older one and the returned one", hashes)
			}
			if n := len(sent(s, "POST /api/v1/keys")); n != 3 {
				t.Errorf("mints = %d, want 3 (older, lost, again)", n)
			}
		})
	}
}

func TestRetryAfterAndExhaustion(t *testing.T) {
	s := startSim(t)
	c, waits := simClient(t, s)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	s.Sim.ScriptFaults("GET /api/v1/keys", simtest.RateLimited("3"), simtest.RateLimited(now.Add(8*time.Second).Format(http.TimeFormat)), simtest.Respond(502))
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	if len(*waits) != 3 || (*waits)[0] != 3*time.Second || (*waits)[1] != 8*time.Second || (*waits)[2] > 10*time.Millisecond {
		t.Errorf("waits = %v, want [3s 8s <backoff>]", *waits)
	}

	for range 4 {
		s.Sim.ScriptFaults("GET /api/v1/keys/{hash}", simtest.RateLimited("3600"))
	}
	_, err := c.GetKey(ctx, "abc")
	if launchpad.ErrorCode(err) != launchpad.ERATELIMITED || launchpad.ErrorRetryAfter(err) != time.Hour {
		t.Errorf("GetKey after 4 × 429: %v (retry after %s), want rate_limited, 1h", err, launchpad.ErrorRetryAfter(err))
	}
	if (*waits)[len(*waits)-1] != 30*time.Second {
		t.Errorf("last wait = %s, want the 30s cap", (*waits)[len(*waits)-1])
	}

	for range 4 {
		s.Sim.ScriptFaults("GET /api/v1/keys/{hash}", simtest.Respond(503))
	}
	if _, err = c.GetKey(ctx, "abc"); launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Errorf("GetKey after 4 × 503: %v, want unavailable", err)
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		status int
		code   string
		text   string
	}{
		{400, launchpad.EINVALID, `creating OpenRouter key "k": OpenRouter refused the request (400 Bad Request: Invalid request parameters)`},
		{401, launchpad.EUNAUTHORIZED, "OpenRouter refused the management key (401: Missing Authentication header); check that OPENROUTER_MANAGEMENT_KEY"},
		{403, launchpad.EUNAUTHORIZED, "Only management keys can perform this operation"},
		{404, launchpad.ENOTFOUND, "not found (OpenRouter answered 404: Resource not found)"},
	}
	bodies := map[int]string{
		400: `{"error":{"code":400,"message":"Invalid request parameters"}}`,
		401: `{"error":{"code":401,"message":"Missing Authentication header"}}`,
		403: `{"error":{"code":403,"message":"Only management keys can perform this operation"}}`,
		404: `{"error":{"code":404,"message":"Resource not found"}}`,
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			s := startSim(t)
			c, _ := simClient(t, s)
			s.Sim.ScriptFaults("POST /api/v1/keys", sim.ScriptedFault{Kind: sim.FaultRespond, Status: tt.status, Body: bodies[tt.status]})
			_, err := c.CreateKey(context.Background(), launchpad.KeySpec{Name: "k"})
			if launchpad.ErrorCode(err) != tt.code || !strings.Contains(launchpad.ErrorMessage(err), tt.text) {
				t.Errorf("err = %v\nwant code %s containing %q", err, tt.code, tt.text)
			}
			if n := len(sent(s, "POST /api/v1/keys")); n != 1 {
				t.Errorf("mints = %d, want 1", n)
			}
		})
	}
}

func TestBadInputIsRefusedBeforeAnyRequest(t *testing.T) {
	s := startSim(t)
	c, _ := simClient(t, s)
	ctx := context.Background()
	for name, spec := range map[string]launchpad.KeySpec{
		"no name":        {},
		"negative limit": {Name: "k", LimitUSD: ptr(-1.0)},
		"bad reset":      {Name: "k", LimitReset: "yearly"},
	} {
		if _, err := c.CreateKey(ctx, spec); launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := c.UpdateKey(ctx, "h", launchpad.KeyUpdate{LimitReset: ptr("hourly")}); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), `"monthly"`) {
		t.Errorf("bad reset update: %v", err)
	}
	if reqs := s.Sim.Requests(); len(reqs) != 0 {
		t.Errorf("requests = %v, want none", reqs)
	}
	if _, err := New(Config{}); launchpad.ErrorCode(err) != launchpad.EUNAUTHORIZED || !strings.Contains(err.Error(), "OPENROUTER_MANAGEMENT_KEY") {
		t.Errorf("New without a key: %v", err)
	}
	if _, err := New(Config{ManagementKey: "x", BaseURL: "openrouter.ai"}); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Errorf("New with a bad URL: %v", err)
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	s := startSim(t)
	c, _ := simClient(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	s.Sim.ScriptFaults("GET /api/v1/keys", simtest.Respond(500))
	_, err := c.ListKeys(ctx)
	if !errors.Is(err, context.Canceled) || launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Errorf("err = %v", err)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
