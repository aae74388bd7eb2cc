package sim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// keyFieldKinds are the fields the OpenRouter spec requires of a key (the "data" of
// POST /keys, GET /keys, GET/PATCH /keys/{hash}) with the JSON kinds it allows.
var keyFieldKinds = map[string][]string{
	"hash": {"string"}, "name": {"string"}, "label": {"string"}, "disabled": {"boolean"},
	"limit": {"number", "null"}, "limit_remaining": {"number", "null"}, "limit_reset": {"string", "null"},
	"include_byok_in_limit": {"boolean"},
	"usage":                 {"number"}, "usage_daily": {"number"}, "usage_weekly": {"number"}, "usage_monthly": {"number"},
	"byok_usage": {"number"}, "byok_usage_daily": {"number"}, "byok_usage_weekly": {"number"}, "byok_usage_monthly": {"number"},
	"created_at": {"string"}, "updated_at": {"string", "null"}, "creator_user_id": {"string", "null"}, "workspace_id": {"string"},
}

// currentKeyFieldKinds are the required fields of GET /key's "data".
var currentKeyFieldKinds = map[string][]string{
	"label": {"string"}, "limit": {"number", "null"}, "usage": {"number"}, "usage_daily": {"number"},
	"usage_weekly": {"number"}, "usage_monthly": {"number"}, "byok_usage": {"number"}, "byok_usage_daily": {"number"},
	"byok_usage_weekly": {"number"}, "byok_usage_monthly": {"number"}, "is_free_tier": {"boolean"},
	"is_management_key": {"boolean"}, "is_provisioning_key": {"boolean"}, "limit_remaining": {"number", "null"},
	"limit_reset": {"string", "null"}, "include_byok_in_limit": {"boolean"}, "creator_user_id": {"string", "null"},
	"rate_limit": {"object"},
}

var (
	plaintextPattern = regexp.MustCompile(`^sk-or-v1-[0-9a-f]{64}$`)
	hashPattern      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	labelPattern     = regexp.MustCompile(`^sk-or-v1-[0-9a-f]{3}\.\.\.[0-9a-f]{4}$`)
)

// orClient speaks to the OpenRouter simulator with plain net/http.
type orClient struct {
	t   *testing.T
	srv *simtest.OpenRouterServer
}

// do sends a request to the API base with the given bearer key ("" for none) and decodes
// the JSON answer.
func (c orClient) do(method, path, key string, body any) (int, map[string]any) {
	c.t.Helper()
	var b string
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		b = string(data)
	}
	auth := ""
	if key != "" {
		auth = "Bearer " + key
	}
	status, raw := rawRequest(c.t, method, c.srv.URL+path, auth, b, nil)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		c.t.Fatalf("%s %s: answer is not a JSON object: %q", method, path, raw)
	}
	return status, out
}

func (c orClient) mgmt(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	return c.do(method, path, c.srv.ManagementKey, body)
}

// complete makes one chat completion with key, costing usd.
func (c orClient) complete(key string, usd float64) (int, map[string]any) {
	c.t.Helper()
	h := http.Header{"X-Sim-Cost-Usd": {fmt.Sprint(usd)}}
	status, raw := rawRequest(c.t, http.MethodPost, c.srv.URL+"/chat/completions", "Bearer "+key,
		`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`, h)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		c.t.Fatalf("completion answer is not JSON: %q", raw)
	}
	return status, out
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// checkFields fails unless obj has every required field with an allowed kind.
func checkFields(t *testing.T, what string, obj any, kinds map[string][]string) map[string]any {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%s: %v is not an object", what, obj)
	}
	for field, allowed := range kinds {
		v, present := m[field]
		if !present {
			t.Errorf("%s: required field %q is missing", what, field)
			continue
		}
		if !slices.Contains(allowed, kindOf(v)) {
			t.Errorf("%s: field %q is a %s, the spec allows %v", what, field, kindOf(v), allowed)
		}
	}
	return m
}

// checkError fails unless the body is the spec's error shape with the status as its code.
func checkError(t *testing.T, what string, status int, body map[string]any, wantStatus int, msgPart string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("%s: status %d (%v), want %d", what, status, body, wantStatus)
	}
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("%s: body %v has no error object", what, body)
	}
	if code, _ := e["code"].(float64); int(code) != wantStatus {
		t.Fatalf("%s: error.code %v, want %d", what, e["code"], wantStatus)
	}
	if msg, _ := e["message"].(string); !strings.Contains(msg, msgPart) {
		t.Fatalf("%s: error.message %q does not mention %q", what, msg, msgPart)
	}
}

func TestOpenRouterContractKeys(t *testing.T) {
	t.Parallel()
	// This test sends malformed requests on purpose, to see the simulator refuse them.
	srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{Clock: sim.NewManualClock(t0)}, simtest.WithoutContract())
	c := orClient{t, srv}

	// Auth.
	status, body := c.do(http.MethodGet, "/keys", "", nil)
	checkError(t, "list without a key", status, body, http.StatusUnauthorized, "Missing Authentication header")
	status, body = c.do(http.MethodGet, "/keys", "sk-or-v1-"+strings.Repeat("0", 64), nil)
	checkError(t, "list with an unknown key", status, body, http.StatusUnauthorized, "User not found")

	// Create: 201 {data, key}; the plaintext only here.
	status, body = c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "tenant-a", "limit": 10, "limit_reset": "monthly"})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, body)
	}
	plaintext, _ := body["key"].(string)
	if !plaintextPattern.MatchString(plaintext) {
		t.Fatalf("created key %q is not an OpenRouter key", plaintext)
	}
	data := checkFields(t, "created key", body["data"], keyFieldKinds)
	hash := data["hash"].(string)
	if !hashPattern.MatchString(hash) || !labelPattern.MatchString(data["label"].(string)) {
		t.Fatalf("created key hash %q / label %q", hash, data["label"])
	}
	if data["name"] != "tenant-a" || data["limit"] != 10.0 || data["limit_remaining"] != 10.0 || data["limit_reset"] != "monthly" ||
		data["usage"] != 0.0 || data["disabled"] != false || data["include_byok_in_limit"] != false {
		t.Fatalf("created key = %v", data)
	}
	if _, err := time.Parse(time.RFC3339, data["created_at"].(string)); err != nil {
		t.Fatalf("created_at: %v", err)
	}
	if data["updated_at"] != nil {
		t.Fatalf("updated_at of a new key = %v, want null (the spec's create answer)", data["updated_at"])
	}

	// Validation: 400 in the spec's error shape.
	for _, bad := range []map[string]any{
		{},
		{"name": ""},
		{"name": 5},
		{"name": "x", "limit": -1},
		{"name": "x", "limit": "ten"},
		{"name": "x", "limit_reset": "yearly"},
		{"name": "x", "limit_reset": ""},
		{"name": "x", "expires_at": "2030-01-01T00:00:00+02:00"},
		{"name": "x", "expires_at": "2020-01-01T00:00:00Z"},
	} {
		status, body := c.mgmt(http.MethodPost, "/keys", bad)
		checkError(t, fmt.Sprintf("create %v", bad), status, body, http.StatusBadRequest, "")
	}

	// An ordinary key may not manage keys, but may read itself.
	status, body = c.do(http.MethodGet, "/keys", plaintext, nil)
	checkError(t, "list with an API key", status, body, http.StatusForbidden, "Only management keys")
	status, body = c.do(http.MethodGet, "/key", plaintext, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /key with the API key: %d %v", status, body)
	}
	cur := checkFields(t, "current key", body["data"], currentKeyFieldKinds)
	if cur["is_management_key"] != false || cur["limit"] != 10.0 || cur["label"] != data["label"] {
		t.Fatalf("current key = %v", cur)
	}
	status, body = c.mgmt(http.MethodGet, "/key", nil)
	if status != http.StatusOK || checkFields(t, "management key", body["data"], currentKeyFieldKinds)["is_management_key"] != true {
		t.Fatalf("GET /key with the management key: %d %v", status, body)
	}

	// Get and list.
	status, body = c.mgmt(http.MethodGet, "/keys/"+hash, nil)
	if status != http.StatusOK || checkFields(t, "get key", body["data"], keyFieldKinds)["hash"] != hash {
		t.Fatalf("get: %d %v", status, body)
	}
	if _, leaked := body["key"]; leaked {
		t.Fatal("GET /keys/{hash} returned the key")
	}
	status, body = c.mgmt(http.MethodGet, "/keys/"+strings.Repeat("a", 64), nil)
	checkError(t, "get unknown hash", status, body, http.StatusNotFound, "not found")
	for _, name := range []string{"tenant-b", "tenant-c"} {
		if status, body := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": name}); status != http.StatusCreated {
			t.Fatalf("create %s: %d %v", name, status, body)
		}
	}
	if got := listNames(t, c, ""); !slices.Equal(got, []string{"tenant-c", "tenant-b", "tenant-a"}) {
		t.Fatalf("list = %v, want newest first", got)
	}
	if got := listNames(t, c, "?offset=1"); !slices.Equal(got, []string{"tenant-b", "tenant-a"}) {
		t.Fatalf("list offset=1 = %v", got)
	}
	for _, q := range []string{"?offset=-1", "?offset=x", "?include_disabled=yes", "?workspace_id=nope"} {
		status, body := c.mgmt(http.MethodGet, "/keys"+q, nil)
		checkError(t, "list "+q, status, body, http.StatusBadRequest, "")
	}

	// Update: disable, rename, drop the limit with an explicit null.
	status, body = c.mgmt(http.MethodPatch, "/keys/"+hash, map[string]any{"disabled": true, "name": "tenant-a2"})
	if status != http.StatusOK || checkFields(t, "patched key", body["data"], keyFieldKinds)["disabled"] != true || body["data"].(map[string]any)["name"] != "tenant-a2" {
		t.Fatalf("patch: %d %v", status, body)
	}
	if updated, _ := body["data"].(map[string]any)["updated_at"].(string); updated != t0.Format(time.RFC3339) {
		t.Fatalf("updated_at after a patch = %q, want the clock's %s", updated, t0.Format(time.RFC3339))
	}
	if got := listNames(t, c, ""); slices.Contains(got, "tenant-a2") {
		t.Fatalf("list without include_disabled = %v, has the disabled key", got)
	}
	if got := listNames(t, c, "?include_disabled=true"); !slices.Contains(got, "tenant-a2") {
		t.Fatalf("list with include_disabled = %v, lacks the disabled key", got)
	}
	status, body = c.complete(plaintext, 0.01)
	checkError(t, "completion with a disabled key", status, body, http.StatusUnauthorized, "User not found")
	status, body = c.mgmt(http.MethodPatch, "/keys/"+hash, map[string]any{"disabled": false, "limit": nil})
	if d := body["data"].(map[string]any); status != http.StatusOK || d["limit"] != nil || d["limit_remaining"] != nil || d["limit_reset"] != "monthly" {
		t.Fatalf("patch limit null: %d %v", status, body)
	}
	status, body = c.mgmt(http.MethodPatch, "/keys/"+hash, map[string]any{"limit_reset": "hourly"})
	checkError(t, "patch bad limit_reset", status, body, http.StatusBadRequest, "limit_reset")
	status, body = c.mgmt(http.MethodPatch, "/keys/"+strings.Repeat("b", 64), map[string]any{"name": "x"})
	checkError(t, "patch unknown hash", status, body, http.StatusNotFound, "not found")

	// Delete: {deleted: true}, then 404 and 401 at the gateway.
	status, body = c.mgmt(http.MethodDelete, "/keys/"+hash, nil)
	if status != http.StatusOK || body["deleted"] != true {
		t.Fatalf("delete: %d %v", status, body)
	}
	status, body = c.mgmt(http.MethodGet, "/keys/"+hash, nil)
	checkError(t, "get deleted key", status, body, http.StatusNotFound, "not found")
	status, body = c.mgmt(http.MethodDelete, "/keys/"+hash, nil)
	checkError(t, "delete twice", status, body, http.StatusNotFound, "not found")
	status, body = c.complete(plaintext, 0.01)
	checkError(t, "completion with a deleted key", status, body, http.StatusUnauthorized, "User not found")
	status, body = c.do(http.MethodGet, "/key", plaintext, nil)
	checkError(t, "GET /key with a deleted key", status, body, http.StatusUnauthorized, "User not found")

	// Neither the snapshot nor the test API ever holds the plaintext.
	snap, _ := json.Marshal(srv.Sim.Snapshot())
	if strings.Contains(string(snap), plaintext) || strings.Contains(string(snap), srv.ManagementKey) {
		t.Fatal("snapshot contains a plaintext key")
	}
}

func listNames(t *testing.T, c orClient, query string) []string {
	t.Helper()
	status, body := c.mgmt(http.MethodGet, "/keys"+query, nil)
	if status != http.StatusOK {
		t.Fatalf("list %s: %d %v", query, status, body)
	}
	items, _ := body["data"].([]any)
	names := []string{}
	for _, it := range items {
		names = append(names, checkFields(t, "listed key", it, keyFieldKinds)["name"].(string))
	}
	return names
}

func TestOpenRouterSpendingAndExhaustion(t *testing.T) {
	t.Parallel()
	srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{Clock: sim.NewManualClock(t0)})
	c := orClient{t, srv}
	_, body := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "capped", "limit": 1.0})
	key := body["key"].(string)
	hash := body["data"].(map[string]any)["hash"].(string)

	if status, body := c.complete(key, 0.6); status != http.StatusOK || body["object"] != "chat.completion" {
		t.Fatalf("first completion: %d %v", status, body)
	}
	if err := srv.Sim.Spend(key, 0.5); err != nil { // takes usage to 1.1: allowed, the limit is reached
		t.Fatalf("spend within the limit: %v", err)
	}
	status, body := c.complete(key, 0.1)
	checkError(t, "completion after the limit", status, body, http.StatusPaymentRequired, "Key limit exceeded (total limit)")
	err := srv.Sim.Spend(key, 0.1)
	var gerr *sim.GatewayError
	if !errors.Is(err, sim.ErrKeyLimitExceeded) || !errors.As(err, &gerr) || gerr.Status != http.StatusPaymentRequired {
		t.Fatalf("spend after the limit: %v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Fatal("the gateway error contains the key")
	}
	_, body = c.mgmt(http.MethodGet, "/keys/"+hash, nil)
	if d := body["data"].(map[string]any); d["limit_remaining"] != 0.0 || d["usage"].(float64) < 1.09 {
		t.Fatalf("exhausted key = %v", d)
	}
	if k, _ := srv.Sim.Snapshot().Key(hash); !k.Exhausted {
		t.Fatalf("snapshot key = %+v, want exhausted", k)
	}

	// Raising the limit lets it spend again.
	c.mgmt(http.MethodPatch, "/keys/"+hash, map[string]any{"limit": 5})
	if status, body := c.complete(key, 0.1); status != http.StatusOK {
		t.Fatalf("completion after raising the limit: %d %v", status, body)
	}

	// Unknown keys are 401 for Spend too.
	if err := srv.Sim.Spend("sk-or-v1-unknown", 1); !errors.Is(err, sim.ErrKeyUnauthorized) {
		t.Fatalf("spend with an unknown key: %v", err)
	}
	if err := srv.Sim.SpendByHash(hash, -1); err == nil {
		t.Fatal("a negative spend was accepted")
	}

	// The management key cannot make completions.
	status, body = c.complete(srv.ManagementKey, 0.1)
	checkError(t, "completion with the management key", status, body, http.StatusForbidden, "Management keys")
}

func TestOpenRouterKeyLimitStatus403(t *testing.T) {
	t.Parallel()
	srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{KeyLimitStatus: http.StatusForbidden})
	c := orClient{t, srv}
	_, body := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "capped", "limit": 0.5, "limit_reset": "weekly"})
	key := body["key"].(string)
	if status, _ := c.complete(key, 0.5); status != http.StatusOK {
		t.Fatalf("first completion: %d", status)
	}
	status, body := c.complete(key, 0.5)
	checkError(t, "completion after the limit", status, body, http.StatusForbidden, "Key limit exceeded (weekly limit)")
	if _, err := sim.OpenOpenRouter(sim.OpenRouterOptions{KeyLimitStatus: 500}); err == nil {
		t.Fatal("KeyLimitStatus 500 was accepted")
	}
}

// TestOpenRouterLimitReset checks that each limit_reset period resets usage exactly at its
// boundary on the simulator's clock: UTC midnight, Monday 00:00 UTC, the 1st 00:00 UTC.
func TestOpenRouterLimitReset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reset    string
		start    time.Time // a moment in one period
		boundary time.Time // the start of the next
	}{
		{"daily", time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"weekly", time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC), time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC)}, // Sunday → Monday
		{"monthly", time.Date(2026, 2, 27, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		// The calendar month, not a month from the key's creation: a key made on the 15th
		// resets on the 1st.
		{"monthly", time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.reset+" from "+tc.start.Format("Jan 2"), func(t *testing.T) {
			t.Parallel()
			clock := sim.NewManualClock(tc.start)
			srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{Clock: clock})
			c := orClient{t, srv}
			_, body := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "k", "limit": 2, "limit_reset": tc.reset})
			key, hash := body["key"].(string), body["data"].(map[string]any)["hash"].(string)
			if status, _ := c.complete(key, 2); status != http.StatusOK {
				t.Fatalf("spend to the limit: %d", status)
			}
			clock.Set(tc.boundary.Add(-time.Millisecond))
			status, body := c.complete(key, 0.5)
			checkError(t, "just before the boundary", status, body, http.StatusPaymentRequired, "Key limit exceeded ("+tc.reset+" limit)")
			clock.Set(tc.boundary)
			if status, body := c.complete(key, 0.5); status != http.StatusOK {
				t.Fatalf("at the boundary: %d %v; want the limit reset", status, body)
			}
			_, body = c.mgmt(http.MethodGet, "/keys/"+hash, nil)
			d := body["data"].(map[string]any)
			window := map[string]string{"daily": "usage_daily", "weekly": "usage_weekly", "monthly": "usage_monthly"}[tc.reset]
			if d[window] != 0.5 || d["usage"] != 2.5 || d["limit_remaining"] != 1.5 {
				t.Fatalf("after the reset: %s=%v usage=%v limit_remaining=%v; want 0.5, 2.5, 1.5", window, d[window], d["usage"], d["limit_remaining"])
			}
		})
	}
}

func TestOpenRouterBYOKCountsOnlyWhenIncluded(t *testing.T) {
	t.Parallel()
	srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	c := orClient{t, srv}
	_, ex := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "excluded", "limit": 1})
	_, in := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "included", "limit": 1, "include_byok_in_limit": true})
	for _, b := range []map[string]any{ex, in} {
		if err := srv.Sim.SpendBYOK(b["key"].(string), 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Sim.Spend(ex["key"].(string), 0.1); err != nil {
		t.Fatalf("BYOK spend counted against a key without include_byok_in_limit: %v", err)
	}
	if err := srv.Sim.Spend(in["key"].(string), 0.1); !errors.Is(err, sim.ErrKeyLimitExceeded) {
		t.Fatalf("BYOK spend not counted against a key with include_byok_in_limit: %v", err)
	}
}

func TestOpenRouterExpiry(t *testing.T) {
	t.Parallel()
	clock := sim.NewManualClock(t0)
	srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{Clock: clock})
	c := orClient{t, srv}
	_, body := c.mgmt(http.MethodPost, "/keys", map[string]any{"name": "short", "expires_at": t0.Add(time.Hour).Format(time.RFC3339)})
	key := body["key"].(string)
	if d := body["data"].(map[string]any); d["expires_at"] != t0.Add(time.Hour).Format(time.RFC3339) {
		t.Fatalf("expires_at = %v", d["expires_at"])
	}
	if status, _ := c.complete(key, 0.1); status != http.StatusOK {
		t.Fatalf("completion before expiry: %d", status)
	}
	clock.Advance(time.Hour)
	status, body := c.complete(key, 0.1)
	checkError(t, "completion after expiry", status, body, http.StatusUnauthorized, "User not found")
}

func TestOpenRouterUnknownRoutes(t *testing.T) {
	t.Parallel()
	// Endpoints outside the spec's key-management cut, on purpose.
	srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{}, simtest.WithoutContract())
	c := orClient{t, srv}
	status, body := c.mgmt(http.MethodGet, "/models", nil)
	checkError(t, "models", status, body, http.StatusNotImplemented, "Not implemented")
	status, body = c.mgmt(http.MethodGet, "/nothing-here", nil)
	checkError(t, "unknown path", status, body, http.StatusNotFound, "Not Found")
	status, raw := rawRequest(t, http.MethodGet, srv.Origin+"/_sim/info", "", "", nil)
	if status != http.StatusOK || !strings.Contains(raw, "POST /api/v1/keys") {
		t.Fatalf("/_sim/info: %d %s", status, raw)
	}
}
