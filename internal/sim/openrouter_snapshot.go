package sim

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"time"
)

// OpenRouterSnapshot is everything the OpenRouter simulator holds, for tests. It never holds
// a plaintext key (the simulator does not have any).
type OpenRouterSnapshot struct {
	WorkspaceID string        `json:"workspace_id"`
	Keys        []KeySnapshot `json:"keys"` // oldest first
	Faults      FaultStats    `json:"faults"`
}

// KeySnapshot is a key as of the snapshot (usage windows rolled to the clock's now).
type KeySnapshot struct {
	Hash               string     `json:"hash"`
	Name               string     `json:"name"`
	Label              string     `json:"label"`
	Limit              *float64   `json:"limit"`
	LimitRemaining     *float64   `json:"limit_remaining"`
	LimitReset         string     `json:"limit_reset"` // "" for none
	IncludeBYOKInLimit bool       `json:"include_byok_in_limit"`
	Usage              float64    `json:"usage"`
	UsageDaily         float64    `json:"usage_daily"`
	UsageWeekly        float64    `json:"usage_weekly"`
	UsageMonthly       float64    `json:"usage_monthly"`
	BYOKUsage          float64    `json:"byok_usage"`
	Disabled           bool       `json:"disabled"`
	Exhausted          bool       `json:"exhausted"`
	WorkspaceID        string     `json:"workspace_id"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
}

// Snapshot returns a copy of the simulator's state.
func (o *OpenRouter) Snapshot() OpenRouterSnapshot {
	_, stats := o.faults.current()
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.clock.Now()
	keys := slices.Collect(maps.Values(o.st.Keys))
	slices.SortFunc(keys, func(a, b *orKey) int { return cmp.Compare(a.Seq, b.Seq) })
	out := OpenRouterSnapshot{WorkspaceID: o.st.WorkspaceID, Keys: []KeySnapshot{}, Faults: stats}
	for _, k := range keys {
		k.roll(now)
		ks := KeySnapshot{
			Hash: k.Hash, Name: k.Name, Label: k.Label, Limit: clonePtr(k.Limit), LimitRemaining: k.remaining(),
			LimitReset: k.LimitReset, IncludeBYOKInLimit: k.IncludeBYOK,
			Usage: k.Usage.Total, UsageDaily: k.Usage.Daily, UsageWeekly: k.Usage.Weekly, UsageMonthly: k.Usage.Monthly,
			BYOKUsage: k.BYOKUsage.Total, Disabled: k.Disabled, Exhausted: k.exhausted(),
			WorkspaceID: k.WorkspaceID, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt, ExpiresAt: clonePtr(k.ExpiresAt),
		}
		out.Keys = append(out.Keys, ks)
	}
	return out
}

// Key returns one key's snapshot by hash.
func (s OpenRouterSnapshot) Key(hash string) (KeySnapshot, bool) {
	for _, k := range s.Keys {
		if k.Hash == hash {
			return k, true
		}
	}
	return KeySnapshot{}, false
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// simRoutes registers the OpenRouter simulator's /_sim/ test API (see the package doc).
func (o *OpenRouter) simRoutes(mux *http.ServeMux) {
	c := simControl{name: "openrouter", clock: o.clock, faults: o.faults, authorized: o.isManagement, errorBody: writeORError, save: o.Save}
	c.register(mux, o.info)
	mux.HandleFunc("GET /_sim/snapshot", c.guard(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, o.Snapshot())
	}))
	mux.HandleFunc("POST /_sim/spend", c.guard(o.simSpend))
}

// simSpend: POST /_sim/spend {"key" or "hash", "usd", "byok"?} spends against a key as the
// gateway would → 200 {"data": key}, or the gateway's refusal (401, 403/402) in its shape.
func (o *OpenRouter) simSpend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Key  string   `json:"key"`
		Hash string   `json:"hash"`
		USD  *float64 `json:"usd"`
		BYOK bool     `json:"byok"`
	}
	if err := decodeBody(r, &req, false); err != nil {
		writeORError(w, http.StatusBadRequest, err.Error())
		return
	}
	if (req.Key == "") == (req.Hash == "") || req.USD == nil {
		writeORError(w, http.StatusBadRequest, "give \"usd\" and exactly one of \"key\" (the plaintext) or \"hash\"")
		return
	}
	hash := req.Hash
	if req.Key != "" {
		hash = keyHash(req.Key)
	}
	if err := o.spend(hash, *req.USD, req.BYOK); err != nil {
		if gerr, ok := err.(*GatewayError); ok {
			writeORError(w, gerr.Status, gerr.Message)
			return
		}
		writeORError(w, http.StatusBadRequest, err.Error())
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": o.keyJSONLocked(o.st.Keys[hash])})
}

// info is what GET /_sim/info answers.
func (o *OpenRouter) info() any {
	_, manual := o.clock.(*ManualClock)
	faults, _ := o.faults.current()
	return map[string]any{
		"simulator":        "openrouter-keys",
		"base_path":        OpenRouterBasePath,
		"implemented":      slices.Clone(o.routes),
		"not_implemented":  slices.Clone(o.notBuilt),
		"test_api":         append(slices.Clone(simRoutes), "POST /_sim/spend"),
		"manual_clock":     manual,
		"faults":           faults,
		"key_limit_status": o.limitStatus,
		"completion_cost":  o.cost,
	}
}
