package sim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// RecordedRequest is one API request as the simulator received it, for tests that check
// what a client sent. It never holds a credential: of the Authorization header only the
// scheme is kept, and the bodies of routes that carry secret values are withheld.
type RecordedRequest struct {
	Method string
	Path   string
	// Query is the raw query string, as sent ("" for none).
	Query string
	// Route is the API pattern that matched ("POST /v1/apps/{app}/machines"); "/" for a path
	// the API does not have.
	Route string
	// AuthScheme is the Authorization scheme ("Bearer", "FlyV1"), "" when none was sent.
	AuthScheme string
	// Body is the request body (at most 1 MiB), "" when BodyWithheld.
	Body string
	// BodyWithheld is set for the routes whose bodies carry secret values (Fly's app
	// secrets): the simulator keeps no secret, not even for a test.
	BodyWithheld bool
	// Status is what the simulator answered; 0 while the request is in flight and when it
	// answered nothing (a dropped or hung answer, a delay the client did not wait out).
	Status int
	// Done is set once the simulator is finished with the request: whatever it applied is
	// in its state.
	Done bool
}

// Target is the request as "METHOD /path" or "METHOD /path?query".
func (r RecordedRequest) Target() string {
	if r.Query == "" {
		return r.Method + " " + r.Path
	}
	return r.Method + " " + r.Path + "?" + r.Query
}

// requestLog records API requests when a test asked for it (the Record option); the
// sandbox and benchmarks leave it off and pay nothing.
type requestLog struct {
	on       bool
	withheld []string // routes whose bodies carry secret values

	mu      sync.Mutex
	reqs    []RecordedRequest
	changed chan struct{} // closed and replaced on every change; waiters listen
}

func newRequestLog(on bool, withheld ...string) *requestLog {
	return &requestLog{on: on, withheld: withheld, changed: make(chan struct{})}
}

// record notes r on arrival, so a test sees requests still in flight (a hung one, a long
// wait), and returns the writer to serve it with and the function that notes its answer.
func (l *requestLog) record(w http.ResponseWriter, r *http.Request, route string) (http.ResponseWriter, func()) {
	if !l.on {
		return w, func() {}
	}
	rec := RecordedRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Route: route}
	if scheme, _, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); ok {
		rec.AuthScheme = scheme
	}
	if r.Body != nil {
		// Read what the handler may read and hand it the same stream back.
		data, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
		r.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(data), r.Body), Closer: r.Body}
		rec.Body = string(data)
	}
	if slices.Contains(l.withheld, route) {
		rec.Body, rec.BodyWithheld = "", true
	}
	l.mu.Lock()
	i := len(l.reqs)
	l.reqs = append(l.reqs, rec)
	l.notifyLocked()
	l.mu.Unlock()
	status := &statusRecorder{ResponseWriter: w}
	return status, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.reqs[i].Status, l.reqs[i].Done = status.status, true
		l.notifyLocked()
	}
}

func (l *requestLog) notifyLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// all returns a copy of the recorded requests, oldest first.
func (l *requestLog) all() []RecordedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]RecordedRequest(nil), l.reqs...)
}

// wait blocks until cond holds for the recorded requests, or ctx ends.
func (l *requestLog) wait(ctx context.Context, cond func([]RecordedRequest) bool) error {
	for {
		l.mu.Lock()
		reqs, changed := append([]RecordedRequest(nil), l.reqs...), l.changed
		l.mu.Unlock()
		if cond(reqs) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readCloser pairs a reader with the closer of the body it replaces.
type readCloser struct {
	io.Reader
	io.Closer
}
