package sim

import (
	"errors"
	"net/http"
	"slices"
)

// simRoutes registers the OpenRouter simulator's /_sim/ test API (see the package doc).
func (o *OpenRouter) simRoutes(mux *http.ServeMux) {
	c := simControl{name: "openrouter", clock: o.clock, faults: o.faults, authorized: o.isManagement, errorBody: writeORError, save: o.Save}
	c.register(mux, o.info, func() any { return o.Snapshot() })
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
	if !decodeOr(w, r, &req, false, writeORError) {
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
		var gerr *GatewayError
		if errors.As(err, &gerr) {
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
		"scripted_faults":  o.faults.pending(),
		"key_limit_status": o.limitStatus,
		"completion_cost":  o.cost,
	}
}
