package openrouter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testManagementKey is the management key of the unit tests; no error or log may hold it.
const testManagementKey = "sk-or-v1-mgmt-0000111122223333444455556666777788889999"

// fault is what the fake does to one request instead of (or after) answering it.
type fault struct {
	status     int    // answer this status without applying the request
	retryAfter string // Retry-After header with status
	body       string // error body with status
	dropAfter  bool   // apply, then close the connection without answering
	failAfter  int    // apply, then answer this status
	hangAfter  bool   // apply, then never answer
	noKey      bool   // apply, then answer 201 without the key
}

// fakeOpenRouter is a small in-memory key-management API for unit tests.
type fakeOpenRouter struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	keys     map[string]map[string]any // hash → key object
	plain    map[string]string         // hash → plaintext
	order    []string
	faults   map[string][]fault // by route pattern
	requests []string
	bodies   []string
	pageSize int
}

func newFakeOpenRouter(t *testing.T) *fakeOpenRouter {
	f := &fakeOpenRouter{t: t, keys: map[string]map[string]any{}, plain: map[string]string{}, faults: map[string][]fault{}, pageSize: 100}
	mux := http.NewServeMux()
	f.route(mux, "POST /api/v1/keys", f.create)
	f.route(mux, "GET /api/v1/keys", f.list)
	f.route(mux, "GET /api/v1/keys/{hash}", f.get)
	f.route(mux, "PATCH /api/v1/keys/{hash}", f.patch)
	f.route(mux, "DELETE /api/v1/keys/{hash}", f.del)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpenRouter) fail(pattern string, faults ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[pattern] = append(f.faults[pattern], faults...)
}

func (f *fakeOpenRouter) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == prefix || strings.HasPrefix(r, prefix+"?") {
			n++
		}
	}
	return n
}

// named returns the hashes of the keys called name.
func (f *fakeOpenRouter) named(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, h := range f.order {
		if f.keys[h]["name"] == name {
			out = append(out, h)
		}
	}
	return out
}

func (f *fakeOpenRouter) client(t *testing.T, mutate ...func(*Config)) (*Client, *[]time.Duration) {
	t.Helper()
	cfg := Config{
		BaseURL:       f.srv.URL + "/api/v1",
		ManagementKey: testManagementKey,
		Retry:         RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond},
		Timeout:       2 * time.Second,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, waits
}

func (f *fakeOpenRouter) route(mux *http.ServeMux, pattern string, h func(r *http.Request, body []byte) (int, map[string]any)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.bodies = append(f.bodies, string(body))
		var flt fault
		if q := f.faults[pattern]; len(q) > 0 {
			flt, f.faults[pattern] = q[0], q[1:]
		}
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+testManagementKey {
			writeJSON(w, 401, map[string]any{"error": map[string]any{"code": 401, "message": "Missing Authentication header"}})
			return
		}
		if flt.status != 0 {
			if flt.retryAfter != "" {
				w.Header().Set("Retry-After", flt.retryAfter)
			}
			if flt.body != "" {
				w.WriteHeader(flt.status)
				_, _ = io.WriteString(w, flt.body)
				return
			}
			writeJSON(w, flt.status, map[string]any{"error": map[string]any{"code": flt.status, "message": http.StatusText(flt.status)}})
			return
		}
		f.mu.Lock()
		status, out := h(r, body)
		f.mu.Unlock()
		switch {
		case flt.dropAfter:
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		case flt.hangAfter:
			<-r.Context().Done()
			return
		case flt.failAfter != 0:
			writeJSON(w, flt.failAfter, map[string]any{"error": map[string]any{"code": flt.failAfter, "message": "Internal Server Error"}})
			return
		case flt.noKey:
			delete(out, "key")
		}
		writeJSON(w, status, out)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *fakeOpenRouter) create(_ *http.Request, body []byte) (int, map[string]any) {
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil || in["name"] == "" || in["name"] == nil {
		return 400, map[string]any{"error": map[string]any{"code": 400, "message": "name is required"}}
	}
	hash := randomHex(32)
	k := map[string]any{
		"hash": hash, "name": in["name"], "label": "sk-or-v1-abc...xyz", "disabled": false,
		"limit": in["limit"], "limit_remaining": in["limit"], "limit_reset": in["limit_reset"],
		"include_byok_in_limit": in["include_byok_in_limit"] == true, "usage": 0.0,
		"created_at": "2026-01-02T03:04:05Z", "updated_at": nil,
	}
	f.keys[hash] = k
	f.order = append(f.order, hash)
	f.plain[hash] = "sk-or-v1-" + randomHex(32)
	return 201, map[string]any{"data": k, "key": f.plain[hash]}
}

func (f *fakeOpenRouter) list(r *http.Request, _ []byte) (int, map[string]any) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	hashes := f.order
	data := []any{}
	for i := offset; i < len(hashes) && len(data) < f.pageSize; i++ {
		data = append(data, f.keys[hashes[i]])
	}
	return 200, map[string]any{"data": data}
}

func (f *fakeOpenRouter) get(r *http.Request, _ []byte) (int, map[string]any) {
	k, ok := f.keys[r.PathValue("hash")]
	if !ok {
		return 404, map[string]any{"error": map[string]any{"code": 404, "message": "Key not found"}}
	}
	return 200, map[string]any{"data": k}
}

func (f *fakeOpenRouter) patch(r *http.Request, body []byte) (int, map[string]any) {
	k, ok := f.keys[r.PathValue("hash")]
	if !ok {
		return 404, map[string]any{"error": map[string]any{"code": 404, "message": "Key not found"}}
	}
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	for field, v := range in {
		k[field] = v
	}
	k["updated_at"] = "2026-01-03T00:00:00Z"
	return 200, map[string]any{"data": k}
}

func (f *fakeOpenRouter) del(r *http.Request, _ []byte) (int, map[string]any) {
	h := r.PathValue("hash")
	if _, ok := f.keys[h]; !ok {
		return 404, map[string]any{"error": map[string]any{"code": 404, "message": "Key not found"}}
	}
	delete(f.keys, h)
	delete(f.plain, h)
	for i, o := range f.order {
		if o == h {
			f.order = append(f.order[:i], f.order[i+1:]...)
			break
		}
	}
	return 200, map[string]any{"deleted": true}
}

// String keeps fmt from printing the fake (with plaintexts) in a failure message by accident.
func (f *fakeOpenRouter) String() string { return fmt.Sprintf("fakeOpenRouter(%d keys)", len(f.keys)) }
