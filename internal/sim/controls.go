package sim

import (
	"context"
	"fmt"
	"net/http"
)

// controls are the test-facing knobs both simulators share: injected faults (drawn at
// rates, or scripted per route) and the request log. Fly and OpenRouter embed them, so
// these methods are theirs.
type controls struct {
	faults   *faultInjector
	requests *requestLog
}

// newControls validates faults for the simulator named name and starts the request log
// (kept only when record is set; the withheld routes never keep their bodies).
func newControls(name string, faults Faults, record bool, withheld ...string) (controls, error) {
	if err := faults.Validate(); err != nil {
		return controls{}, fmt.Errorf("%s simulator faults: %w", name, err)
	}
	return controls{faults: newFaultInjector(faults), requests: newRequestLog(record, withheld...)}, nil
}

// mustOpen is a simulator's New: its Open's result, or a panic on an error Open returns.
func mustOpen[S any](s S, err error) S {
	if err != nil {
		panic("sim: " + err.Error())
	}
	return s
}

// front is what stands before a simulated API: it finds the request's route, records the
// request (when asked), then adds latency and a scripted or drawn fault before next. api is
// the mux whose patterns name routes; routes are those a script may name.
func (c controls) front(api *http.ServeMux, routes []string, next http.Handler, answer answerFunc) http.Handler {
	c.faults.allowRoutes(routes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, route := api.Handler(r)
		w, done := c.requests.record(w, r, route)
		defer done()
		c.faults.serve(w, r, route, next, answer)
	})
}

// SetFaults replaces the injected rate-based faults (and restarts their deterministic
// sequence); the scripted faults stay queued. It panics on invalid faults; validate user
// input with Faults.Validate first.
func (c controls) SetFaults(f Faults) { c.faults.set(f) }

// Faults returns the current faults and what they have done since they were set.
func (c controls) Faults() (Faults, FaultStats) { return c.faults.current() }

// ScriptFaults queues faults for route, an implemented endpoint written as registered
// ("POST /v1/apps/{app}/machines", see Routes): each request matching the route takes the
// next one, in order, before any rate-based fault is drawn. It panics when the route is
// not implemented or a fault is invalid (ScriptedFault.Validate), as a test's mistake.
func (c controls) ScriptFaults(route string, faults ...ScriptedFault) {
	if err := c.faults.enqueue(route, faults); err != nil {
		panic("sim: invalid scripted faults: " + err.Error())
	}
}

// ScriptedFaults returns the scripted faults not yet taken, by route.
func (c controls) ScriptedFaults() map[string][]ScriptedFault { return c.faults.pending() }

// ClearScriptedFaults drops every scripted fault not yet taken.
func (c controls) ClearScriptedFaults() { c.faults.clearScript() }

// Requests returns the API requests received so far, oldest first (never the /_sim/
// ones); nil unless the simulator was started with RecordRequests.
func (c controls) Requests() []RecordedRequest { return c.requests.all() }

// WaitRequests blocks until cond holds for the recorded requests (it is called again on
// every arrival and answer) or ctx ends: a test's way to act once a client's request is in
// flight, without sleeping. It needs RecordRequests.
func (c controls) WaitRequests(ctx context.Context, cond func([]RecordedRequest) bool) error {
	return c.requests.wait(ctx, cond)
}
