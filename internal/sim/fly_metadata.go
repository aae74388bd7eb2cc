package sim

import "net/http"

// Machine metadata lives in config.metadata; these endpoints change it in place, without a
// new instance or an event.

// getMetadata: GET …/metadata → config.metadata (an object, {} when empty).
func (f *Fly) getMetadata(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, false, func(_ *flyApp, m *flyMachine) {
		md := viewConfig(m.Config).metadata
		if md == nil {
			md = map[string]string{}
		}
		writeJSON(w, http.StatusOK, md)
	})
}

// setMetadata: POST …/metadata/{key} {"value"} → 204. Not lease-gated: fly-go sends no
// nonce for metadata.
func (f *Fly) setMetadata(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Value *string `json:"value"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return
	}
	if req.Value == nil {
		writeFlyError(w, http.StatusBadRequest, "value is required: POST {\"value\": \"…\"}")
		return
	}
	f.changeMetadata(w, r, func(md map[string]string, key string) { md[key] = *req.Value })
}

// deleteMetadata: DELETE …/metadata/{key} → 204.
func (f *Fly) deleteMetadata(w http.ResponseWriter, r *http.Request) {
	f.changeMetadata(w, r, func(md map[string]string, key string) { delete(md, key) })
}

func (f *Fly) changeMetadata(w http.ResponseWriter, r *http.Request, change func(map[string]string, string)) {
	key := r.PathValue("key")
	if key == "" {
		writeFlyError(w, http.StatusBadRequest, "metadata key is required")
		return
	}
	f.withMachine(w, r, false, func(_ *flyApp, m *flyMachine) {
		md := viewConfig(m.Config).metadata
		if md == nil {
			md = map[string]string{}
		}
		change(md, key)
		m.Config["metadata"] = mustJSON(md)
		m.UpdatedAt = f.clock.Now().UTC()
		w.WriteHeader(http.StatusNoContent)
	})
}
