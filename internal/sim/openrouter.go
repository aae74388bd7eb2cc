package sim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// OpenRouterBasePath is where the simulated API lives, as on https://openrouter.ai/api/v1:
// a client configured with base URL "http://HOST:PORT/api/v1" calls ".../api/v1/keys".
const OpenRouterBasePath = "/api/v1"

// OpenRouterOptions configure an OpenRouter keys API simulator. Every field is optional.
type OpenRouterOptions struct {
	// ManagementKey is the management (provisioning) key that may manage keys. Empty means
	// a random "sk-or-v1-…" key; read it back with ManagementKey.
	ManagementKey string
	// Clock drives timestamps, key expiry and the daily/weekly/monthly usage windows. Nil
	// means the wall clock.
	Clock Clock
	// Faults are injected into every API request from the start; see SetFaults.
	Faults Faults
	// RecordRequests keeps every API request (never a credential) for Requests and
	// WaitRequests: tests that check what a client sent turn it on.
	RecordRequests bool
	// StateFile, if set, is loaded at start and saved (atomically) by Save and Close.
	StateFile string
	// Logger receives one debug line per request (method, path, status; never headers or
	// bodies). Nil means silence.
	Logger *slog.Logger
	// KeyLimitStatus is what the gateway answers a key whose spend limit is reached. Zero
	// means 402, the status OpenRouter documents for a request that cannot be paid for and
	// the one Launchpad's issues specify. Reports from 2025-26 show the live gateway answering
	// 403 {"error":{"code":403,"message":"Key limit exceeded (monthly limit). …"}} for a key
	// limit, so 403 may be chosen to test that clients handle both.
	KeyLimitStatus int
	// CompletionCostUSD is what a chat completion costs when the request does not say (the
	// X-Sim-Cost-USD header); zero means $0.001.
	CompletionCostUSD float64
}

// OpenRouter simulates OpenRouter's key-management API (/keys, /keys/{hash}, /key) and a
// minimal gateway (/chat/completions) that meters spend against keys: serve it with any
// http.Server. Safe for concurrent use.
type OpenRouter struct {
	controls    // SetFaults, ScriptFaults, Requests…
	mgmtKey     string
	mgmtHash    string
	clock       Clock
	log         *slog.Logger
	saver       // Save, Close: the state file
	limitStatus int
	cost        float64
	handler     http.Handler
	routes      []string
	notBuilt    []string

	mu sync.Mutex
	st orState
}

// NewOpenRouter returns an OpenRouter simulator. It panics if the state file exists but
// cannot be loaded or an option is invalid; OpenOpenRouter returns those as errors instead.
func NewOpenRouter(o OpenRouterOptions) *OpenRouter { return mustOpen(OpenOpenRouter(o)) }

// OpenOpenRouter is NewOpenRouter that reports a bad state file or option as an error.
func OpenOpenRouter(o OpenRouterOptions) (*OpenRouter, error) {
	c, err := newControls("openrouter", o.Faults, o.RecordRequests)
	if err != nil {
		return nil, err
	}
	if o.KeyLimitStatus != 0 && o.KeyLimitStatus != http.StatusPaymentRequired && o.KeyLimitStatus != http.StatusForbidden {
		return nil, fmt.Errorf("openrouter simulator: KeyLimitStatus %d: use 403 (the live gateway) or 402", o.KeyLimitStatus)
	}
	if o.CompletionCostUSD < 0 {
		return nil, fmt.Errorf("openrouter simulator: CompletionCostUSD %v is negative", o.CompletionCostUSD)
	}
	or := &OpenRouter{
		mgmtKey:     o.ManagementKey,
		clock:       clockOrReal(o.Clock),
		log:         o.Logger,
		controls:    c,
		saver:       saver{stateFile: o.StateFile},
		limitStatus: o.KeyLimitStatus,
		cost:        o.CompletionCostUSD,
		st:          orState{Keys: map[string]*orKey{}, WorkspaceID: newUUID()},
	}
	if or.mgmtKey == "" {
		or.mgmtKey = newOpenRouterKey()
	}
	or.mgmtHash = keyHash(or.mgmtKey)
	if or.log == nil {
		or.log = slog.New(slog.DiscardHandler)
	}
	if or.limitStatus == 0 {
		or.limitStatus = http.StatusPaymentRequired
	}
	if or.cost == 0 {
		or.cost = 0.001
	}
	var st orState
	if found, err := or.load("openrouter", &st); err != nil {
		return nil, err
	} else if found {
		if st.WorkspaceID == "" {
			st.WorkspaceID = or.st.WorkspaceID
		}
		or.st = st
	}
	or.handler = or.buildHandler()
	return or, nil
}

// ManagementKey returns the management key the simulator accepts.
func (o *OpenRouter) ManagementKey() string { return o.mgmtKey }

// ServeHTTP serves the API under /api/v1 and the test API under /_sim/.
func (o *OpenRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) { o.handler.ServeHTTP(w, r) }

// Routes returns the implemented API endpoints as "METHOD /path" patterns.
func (o *OpenRouter) Routes() []string { return slices.Clone(o.routes) }

// Save writes the state file now, if one was configured.
func (o *OpenRouter) Save() error { return o.save(&o.mu, &o.st) }

// Close saves the state file (once); the simulator keeps answering afterwards.
func (o *OpenRouter) Close() error { return o.closeWith(o.Save) }

// stateJSON returns the simulator's state as it would be saved.
func (o *OpenRouter) stateJSON() (json.RawMessage, error) { return lockedJSON(&o.mu, &o.st) }

// restoreState replaces the simulator's state with a saved one.
func (o *OpenRouter) restoreState(raw json.RawMessage) error {
	var st orState
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("openrouter state: %w", err)
	}
	st.normalize()
	o.mu.Lock()
	defer o.mu.Unlock()
	if st.WorkspaceID == "" {
		st.WorkspaceID = o.st.WorkspaceID
	}
	o.st = st
	return nil
}

func (o *OpenRouter) buildHandler() http.Handler {
	api := http.NewServeMux()
	o.handle(api, "GET /api/v1/key", o.currentKey)
	o.handle(api, "GET /api/v1/auth/key", o.currentKey) // the older path of the same endpoint
	o.handle(api, "GET /api/v1/keys", o.management(o.listKeys))
	o.handle(api, "POST /api/v1/keys", o.management(o.createKey))
	o.handle(api, "GET /api/v1/keys/{hash}", o.management(o.getKey))
	o.handle(api, "PATCH /api/v1/keys/{hash}", o.management(o.updateKey))
	o.handle(api, "DELETE /api/v1/keys/{hash}", o.management(o.deleteKey))
	o.handle(api, "POST /api/v1/chat/completions", o.chatCompletion)
	for _, p := range []string{
		"POST /api/v1/completions", "GET /api/v1/models", "GET /api/v1/credits",
		"GET /api/v1/generation", "POST /api/v1/responses", "/api/v1/auth/keys",
	} {
		o.notBuilt = append(o.notBuilt, p)
		api.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			writeORError(w, http.StatusNotImplemented, "Not implemented by the simulator: "+r.Method+" "+r.URL.Path+" (GET /_sim/info lists what is)")
		})
	}
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeORError(w, http.StatusNotFound, "Not Found: "+r.Method+" "+r.URL.Path+" (the API lives under "+OpenRouterBasePath+"; GET /_sim/info lists it)")
	})
	top := http.NewServeMux()
	o.simRoutes(top)
	top.Handle("/", o.front(api, o.routes, api, writeORError))
	return logRequests(o.log, "openrouter", top)
}

func (o *OpenRouter) handle(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	o.routes = append(o.routes, pattern)
	mux.HandleFunc(pattern, h)
}

// bearer returns the token of "Authorization: Bearer …", or "" when there is none.
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// isManagement reports whether r carries the management key.
func (o *OpenRouter) isManagement(r *http.Request) bool {
	tok := bearer(r)
	return tok != "" && subtle.ConstantTimeCompare([]byte(keyHash(tok)), []byte(o.mgmtHash)) == 1
}

// management puts a handler behind management-key auth: 401 with the spec's body when
// the key is missing or unknown, 403 for an ordinary API key.
func (o *OpenRouter) management(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		switch {
		case tok == "":
			writeORError(w, http.StatusUnauthorized, "Missing Authentication header")
		case o.isManagement(r):
			h(w, r)
		case o.knownKey(tok):
			writeORError(w, http.StatusForbidden, "Only management keys can perform this operation")
		default:
			writeORError(w, http.StatusUnauthorized, "User not found.")
		}
	}
}

// knownKey reports whether tok is a key the simulator minted (usable or not).
func (o *OpenRouter) knownKey(tok string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.st.Keys[keyHash(tok)]
	return ok
}

// writeORError writes OpenRouter's error body: {"error": {"code": status, "message": …}}.
func writeORError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg}})
}

// keyHash is the key's hash identifier: hex SHA-256 of the key.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// newOpenRouterKey returns a key in OpenRouter's format: "sk-or-v1-" and 64 hex digits.
func newOpenRouterKey() string { return "sk-or-v1-" + randomHex(32) }

// keyLabel is how OpenRouter labels a key: its prefix, three digits, "...", four digits.
func keyLabel(key string) string {
	body := strings.TrimPrefix(key, "sk-or-v1-")
	if len(body) < 8 {
		return "sk-or-v1-..."
	}
	return "sk-or-v1-" + body[:3] + "..." + body[len(body)-4:]
}
