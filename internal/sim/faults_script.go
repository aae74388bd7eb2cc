package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// FaultKind says what a scripted fault does to the request it takes.
type FaultKind string

// The kinds of scripted fault. "After" kinds apply the request first, so the change exists
// although the client learns nothing (or something wrong) about it: the cases that make a
// careless client create duplicates.
const (
	// FaultRespond answers Status (with RetryAfter and Body, if set) without applying the
	// request: a refusal, a rate limit, a 5xx before anything was done.
	FaultRespond FaultKind = "respond"
	// FaultDropAfter applies the request, then closes the connection without answering.
	FaultDropAfter FaultKind = "drop_after"
	// FaultFailAfter applies the request, then answers Status (with RetryAfter and Body)
	// instead of the real answer.
	FaultFailAfter FaultKind = "fail_after"
	// FaultHangAfter applies the request, then never answers: the client's timeout (or the
	// server closing the connection) ends it.
	FaultHangAfter FaultKind = "hang_after"
	// FaultDelay waits Delay, then serves the request normally; a client that gives up
	// first leaves it unapplied.
	FaultDelay FaultKind = "delay"
)

// ScriptedFault is one fault a test queues for one route with ScriptFaults: the next request
// matching the route takes it, whatever the rates of Faults say.
type ScriptedFault struct {
	Kind FaultKind
	// Status is the answer of FaultRespond (400-599) and FaultFailAfter (200-599; a 2xx
	// replaces the real answer, so it needs a Body).
	Status int
	// RetryAfter is the Retry-After header sent with Status, as it goes on the wire:
	// delay-seconds ("7") or an HTTP date (RFC 9110 allows both). Empty: no header.
	RetryAfter string
	// Body is sent with Status as it is (JSON or not). Empty: the simulated API's own
	// error shape, with a message naming the injected status.
	Body string
	// Delay is how long FaultDelay waits.
	Delay time.Duration
}

// Validate reports what is wrong with s, if anything.
func (s ScriptedFault) Validate() error {
	var errs []error
	withStatus := s.Kind == FaultRespond || s.Kind == FaultFailAfter
	switch s.Kind {
	case FaultRespond:
		if s.Status < 400 || s.Status > 599 {
			errs = append(errs, fmt.Errorf("status %d: a respond fault refuses the request, so give a 4xx or 5xx status", s.Status))
		}
	case FaultFailAfter:
		if s.Status < 200 || s.Status > 599 || (s.Status >= 300 && s.Status < 400) {
			errs = append(errs, fmt.Errorf("status %d: a fail_after fault answers 2xx, 4xx or 5xx", s.Status))
		}
		if s.Status >= 200 && s.Status < 300 && s.Body == "" {
			errs = append(errs, fmt.Errorf("status %d with no body: a 2xx after applying replaces the real answer, so give the body it should carry", s.Status))
		}
	case FaultDropAfter, FaultHangAfter:
	case FaultDelay:
		if s.Delay <= 0 {
			errs = append(errs, fmt.Errorf("delay %v: a delay fault waits a positive duration, such as \"1s\"", s.Delay))
		}
	default:
		errs = append(errs, fmt.Errorf("kind %q is not known: use respond, drop_after, fail_after, hang_after or delay", s.Kind))
	}
	if !withStatus && (s.Status != 0 || s.RetryAfter != "" || s.Body != "") {
		errs = append(errs, fmt.Errorf("status, retry_after and body go with respond and fail_after only, not %s", s.Kind))
	}
	if s.Kind != FaultDelay && s.Delay != 0 {
		errs = append(errs, fmt.Errorf("delay goes with the delay kind only, not %s", s.Kind))
	}
	if s.RetryAfter != "" && !validRetryAfter(s.RetryAfter) {
		errs = append(errs, fmt.Errorf("retry_after %q is neither a number of seconds (\"7\") nor an HTTP date (\"%s\")", s.RetryAfter, time.Unix(0, 0).UTC().Format(http.TimeFormat)))
	}
	return errors.Join(errs...)
}

// validRetryAfter accepts the two forms of Retry-After (RFC 9110 §10.2.3).
func validRetryAfter(v string) bool {
	if n, err := strconv.Atoi(v); err == nil {
		return n >= 0
	}
	_, err := http.ParseTime(v)
	return err == nil
}

// validateScript checks a script for route against the routes the simulator implements.
// Unknown routes are refused: a typo would otherwise queue faults that never fire.
func validateScript(routes []string, route string, faults []ScriptedFault) error {
	var errs []error
	if !slices.Contains(routes, route) {
		errs = append(errs, fmt.Errorf("route %q is not one the simulator implements: write it as registered, such as \"POST /v1/apps/{app}/machines\" (GET /_sim/info lists them)", route))
	}
	if len(faults) == 0 {
		errs = append(errs, errors.New("no faults given: list at least one"))
	}
	for i, f := range faults {
		if err := f.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("fault %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

// allowRoutes sets the routes a script may name; the simulator calls it once it has
// registered its endpoints.
func (in *faultInjector) allowRoutes(routes []string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.routes = slices.Clone(routes)
}

// enqueue appends faults to route's script, all or none.
func (in *faultInjector) enqueue(route string, faults []ScriptedFault) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := validateScript(in.routes, route, faults); err != nil {
		return err
	}
	in.script[route] = append(in.script[route], faults...)
	return nil
}

// pending returns a copy of the faults still queued, by route.
func (in *faultInjector) pending() map[string][]ScriptedFault {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string][]ScriptedFault, len(in.script))
	for route, q := range in.script {
		out[route] = slices.Clone(q)
	}
	return out
}

// clearScript drops every queued fault.
func (in *faultInjector) clearScript() {
	in.mu.Lock()
	defer in.mu.Unlock()
	clear(in.script)
}

// serveScripted serves r under the scripted fault s; next is the API itself.
func serveScripted(s ScriptedFault, w http.ResponseWriter, r *http.Request, next http.Handler, answer answerFunc) {
	switch s.Kind {
	case FaultRespond:
		writeScripted(w, s, answer)
	case FaultFailAfter:
		next.ServeHTTP(discardWriter{header: http.Header{}}, r)
		writeScripted(w, s, answer)
	case FaultDropAfter:
		next.ServeHTTP(discardWriter{header: http.Header{}}, r)
		dropConnection(w)
	case FaultHangAfter:
		next.ServeHTTP(discardWriter{header: http.Header{}}, r)
		<-r.Context().Done()
	case FaultDelay:
		if sleepCtx(r.Context(), s.Delay) {
			next.ServeHTTP(w, r)
		}
	}
}

// writeScripted answers a scripted status with its Retry-After and body.
func writeScripted(w http.ResponseWriter, s ScriptedFault, answer answerFunc) {
	w.Header().Set(FaultHeader, string(s.Kind))
	if s.RetryAfter != "" {
		w.Header().Set("Retry-After", s.RetryAfter)
	}
	if s.Body == "" {
		answer(w, s.Status, "injected fault: scripted "+strconv.Itoa(s.Status)+" "+http.StatusText(s.Status))
		return
	}
	contentType := "text/plain; charset=utf-8"
	if json.Valid([]byte(s.Body)) {
		contentType = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(s.Status)
	_, _ = w.Write([]byte(s.Body))
}
