package sim

import (
	"fmt"
	"net/http"
	"time"
)

// The /_sim/ namespace is the simulators' test API, kept apart from the simulated API (no
// faults, no rate limits). health and info are open; everything else needs the
// simulator's own credential (Fly: its token; OpenRouter: its management key).

// simControl is what both simulators expose to their /_sim/ routes.
type simControl struct {
	name       string
	clock      Clock
	faults     *faultInjector
	authorized func(*http.Request) bool
	errorBody  answerFunc
	save       func() error
}

// register adds the routes both simulators share; info and snapshot are what GET /_sim/info
// and GET /_sim/snapshot answer.
func (c simControl) register(mux *http.ServeMux, info, snapshot func() any) {
	mux.HandleFunc("GET /_sim/snapshot", c.guard(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, snapshot())
	}))
	mux.HandleFunc("GET /_sim/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "simulator": c.name})
	})
	mux.HandleFunc("GET /_sim/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, info())
	})
	mux.HandleFunc("GET /_sim/faults", c.guard(c.getFaults))
	mux.HandleFunc("PUT /_sim/faults", c.guard(c.putFaults))
	mux.HandleFunc("GET /_sim/faults/script", c.guard(c.getScript))
	mux.HandleFunc("POST /_sim/faults/script", c.guard(c.postScript))
	mux.HandleFunc("DELETE /_sim/faults/script", c.guard(c.deleteScript))
	mux.HandleFunc("GET /_sim/clock", c.guard(c.getClock))
	mux.HandleFunc("POST /_sim/clock", c.guard(c.moveClock))
	mux.HandleFunc("POST /_sim/save", c.guard(func(w http.ResponseWriter, r *http.Request) {
		if err := c.save(); err != nil {
			c.errorBody(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"saved": true})
	}))
	mux.HandleFunc("/_sim/", func(w http.ResponseWriter, r *http.Request) {
		c.errorBody(w, http.StatusNotFound, fmt.Sprintf("no such test endpoint: %s %s (GET /_sim/info lists them)", r.Method, r.URL.Path))
	})
}

// simRoutes is the list /_sim/info shows.
var simRoutes = []string{
	"GET /_sim/health", "GET /_sim/info", "GET /_sim/snapshot", "GET /_sim/faults", "PUT /_sim/faults",
	"GET /_sim/faults/script", "POST /_sim/faults/script", "DELETE /_sim/faults/script",
	"GET /_sim/clock", "POST /_sim/clock", "POST /_sim/save", "POST /_sim/apps (Fly only)",
}

func (c simControl) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !c.authorized(r) {
			c.errorBody(w, http.StatusUnauthorized, "the /_sim/ test API needs the simulator's credential as a Bearer token")
			return
		}
		h(w, r)
	}
}

func (c simControl) getFaults(w http.ResponseWriter, _ *http.Request) {
	f, stats := c.faults.current()
	writeJSON(w, http.StatusOK, map[string]any{"faults": f, "stats": stats})
}

// putFaults replaces the faults: PUT /_sim/faults {"error_rate":0.2,"latency":"50ms",…}.
func (c simControl) putFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if !decodeOr(w, r, &f, false, c.errorBody) {
		return
	}
	if err := f.Validate(); err != nil {
		c.errorBody(w, http.StatusBadRequest, err.Error())
		return
	}
	c.faults.set(f)
	writeJSON(w, http.StatusOK, map[string]any{"faults": f})
}

// getScript answers the scripted faults not yet taken: {"script": {route: [fault…]}}.
func (c simControl) getScript(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"script": c.faults.pending()})
}

// postScript queues scripted faults for one route: POST /_sim/faults/script
// {"route":"POST /v1/apps/{app}/machines","faults":[{"kind":"drop_after"}, …]}; all or none.
func (c simControl) postScript(w http.ResponseWriter, r *http.Request) {
	var req scriptRequest
	if !decodeOr(w, r, &req, false, c.errorBody) {
		return
	}
	if err := c.faults.enqueue(req.Route, req.Faults); err != nil {
		c.errorBody(w, http.StatusBadRequest, err.Error())
		return
	}
	c.getScript(w, r)
}

// deleteScript drops every scripted fault not yet taken.
func (c simControl) deleteScript(w http.ResponseWriter, r *http.Request) {
	c.faults.clearScript()
	c.getScript(w, r)
}

func (c simControl) getClock(w http.ResponseWriter, _ *http.Request) {
	_, manual := c.clock.(*ManualClock)
	writeJSON(w, http.StatusOK, map[string]any{"now": c.clock.Now().UTC().Format(time.RFC3339Nano), "manual": manual})
}

// moveClock: POST /_sim/clock {"advance":"36h"} or {"set":"2026-02-01T00:00:00Z"}; only a
// simulator running on a ManualClock (sandbox --clock manual) can be moved.
func (c simControl) moveClock(w http.ResponseWriter, r *http.Request) {
	mc, ok := c.clock.(*ManualClock)
	if !ok {
		c.errorBody(w, http.StatusConflict, "this simulator runs on the wall clock; start it with a manual clock (sandbox --clock manual) to move time")
		return
	}
	var req struct {
		Advance string `json:"advance"`
		Set     string `json:"set"`
	}
	if !decodeOr(w, r, &req, false, c.errorBody) {
		return
	}
	switch {
	case req.Advance != "" && req.Set == "":
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d < 0 {
			c.errorBody(w, http.StatusBadRequest, fmt.Sprintf("advance %q is not a non-negative duration: write it like \"90m\" or \"24h\"", req.Advance))
			return
		}
		mc.Advance(d)
	case req.Set != "" && req.Advance == "":
		t, err := time.Parse(time.RFC3339Nano, req.Set)
		if err != nil {
			c.errorBody(w, http.StatusBadRequest, fmt.Sprintf("set %q is not an RFC 3339 time: write it like \"2026-02-01T00:00:00Z\"", req.Set))
			return
		}
		mc.Set(t)
	default:
		c.errorBody(w, http.StatusBadRequest, "give exactly one of \"advance\" (a duration) or \"set\" (an RFC 3339 time)")
		return
	}
	c.getClock(w, r)
}
