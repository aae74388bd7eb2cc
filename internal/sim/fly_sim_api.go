package sim

import (
	"net/http"
	"slices"
)

// simRoutes registers the Fly simulator's /_sim/ test API (see the package doc).
func (f *Fly) simRoutes(mux *http.ServeMux) {
	c := simControl{name: "fly", clock: f.clock, faults: f.faults, authorized: f.authorized, errorBody: writeFlyError, save: f.Save}
	c.register(mux, f.info, func() any { return f.Snapshot() })
	mux.HandleFunc("POST /_sim/apps", c.guard(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name string `json:"name"`
			Org  string `json:"org"`
		}
		if !decodeOr(w, r, &req, false, writeFlyError) {
			return
		}
		if err := f.CreateForeignApp(req.Name, req.Org); err != nil {
			writeFlyError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"name": req.Name, "org": req.Org})
	}))
}

// info is what GET /_sim/info answers: what is implemented and how the simulator runs.
func (f *Fly) info() any {
	_, manual := f.clock.(*ManualClock)
	faults, _ := f.faults.current()
	return map[string]any{
		"simulator":       "fly-machines",
		"base_path":       "/v1",
		"implemented":     slices.Clone(f.routes),
		"not_implemented": slices.Clone(f.notBuilt),
		"test_api":        simRoutes,
		"rate_limits":     f.limits != nil,
		"manual_clock":    manual,
		"faults":          faults,
		"scripted_faults": f.faults.pending(),
		"transitions":     f.transitionsInfo(),
	}
}

// transitionsInfo says how long the simulated state changes take.
func (f *Fly) transitionsInfo() map[string]string {
	return map[string]string{"start": f.tr.Start.String(), "stop": f.tr.Stop.String(), "destroy": f.tr.Destroy.String(),
		"secrets_propagation": f.tr.SecretsPropagation.String(), "pending_destroy_retention": f.pendingFor.String()}
}
