package sim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// FlyOptions configure a Fly Machines API simulator. Every field is optional.
type FlyOptions struct {
	// Token is the API token clients must present ("Authorization: Bearer …" or
	// "FlyV1 …"). Empty means a random one; read it back with Token.
	Token string
	// Clock drives timestamps, events, lease expiry, tombstones and rate limits. Nil means
	// the wall clock.
	Clock Clock
	// Faults are injected into every API request from the start; see SetFaults.
	Faults Faults
	// RecordRequests keeps every API request (never a credential or a secret value) for
	// Requests and WaitRequests: tests that check what a client sent turn it on.
	RecordRequests bool
	// RateLimits turns on Fly's published per-machine limits (see fly_ratelimit.go).
	RateLimits bool
	// StateFile, if set, is loaded at start and saved (atomically) by Save and Close.
	StateFile string
	// Logger receives one debug line per request (method, path, status; never headers or
	// bodies). Nil means silence.
	Logger *slog.Logger
	// DefaultRegion is where machines go when neither the request nor a mounted volume
	// says; empty means "iad".
	DefaultRegion string
	// DestroyedRetention is how long a destroyed machine can still be read (state
	// "destroyed", events included) before it answers 404, as Fly does briefly after a
	// destroy. Zero means 5 minutes; it runs on Clock.
	DestroyedRetention time.Duration
	// Orgs are the organizations the token is a member of. Empty means every organization
	// except those holding apps made with CreateForeignApp (or POST /_sim/apps): the token
	// joins an organization by naming it. An app of an organization the token is not a member
	// of answers 403 {"error":"unauthorized"}, and its name cannot be taken (422).
	Orgs []string
	// Transitions are how long machines take to change state, on Clock; zero fields mean
	// DefaultTransitions'. Fly answers a create, start, stop, update or destroy at once and
	// completes it afterwards; a client sees created, starting, stopping, replacing or
	// destroying in between.
	Transitions Transitions
	// ImmediateTransitions completes every state change within its request, propagates
	// secrets at once and keeps no transitional state: a leniency for tests that drive
	// machines on a ManualClock they do not want to move for every start. Never the default.
	ImmediateTransitions bool
	// PendingDestroyRetention is how long a deleted volume is still listed (state
	// pending_destroy) before it answers 404, as Fly lists deleted volumes for up to a day.
	// Zero means 24 hours; it runs on Clock.
	PendingDestroyRetention time.Duration
}

// Transitions are the simulated durations of a machine's asynchronous state changes and of
// the propagation of a new secrets version, measured on the simulator's Clock.
type Transitions struct {
	// Start: created → started after a launch, stopped → starting → started, and the boot
	// half of a restart or of an update that replaces a started machine (replacing → started).
	Start time.Duration
	// Stop: started → stopping → stopped (also the first half of a restart).
	Stop time.Duration
	// Destroy: destroying → destroyed. The machine keeps its volumes attached until the end.
	Destroy time.Duration
	// SecretsPropagation: how long a new app secrets version takes to reach the hosts; a
	// machine created or updated earlier without min_secrets_version gets the version before.
	SecretsPropagation time.Duration
}

// DefaultTransitions are short, so tests stay fast, and long enough that a client that does
// not wait for a machine (or a secrets version) is caught doing so.
func DefaultTransitions() Transitions {
	return Transitions{Start: 200 * time.Millisecond, Stop: 100 * time.Millisecond, Destroy: 300 * time.Millisecond, SecretsPropagation: 150 * time.Millisecond}
}

// withDefaults fills zero fields, or zeroes every field when immediate.
func (t Transitions) withDefaults(immediate bool) Transitions {
	if immediate {
		return Transitions{}
	}
	d := DefaultTransitions()
	if t.Start <= 0 {
		t.Start = d.Start
	}
	if t.Stop <= 0 {
		t.Stop = d.Stop
	}
	if t.Destroy <= 0 {
		t.Destroy = d.Destroy
	}
	if t.SecretsPropagation <= 0 {
		t.SecretsPropagation = d.SecretsPropagation
	}
	return t
}

// ExecFunc answers an exec request: what the command printed and its exit code.
type ExecFunc func(app, machineID string, cmd []string) (stdout, stderr string, exit int)

// Fly simulates the Fly Machines API (https://api.machines.dev) as fly-go v0.3.1's flaps
// client speaks it: serve it with any http.Server. Safe for concurrent use.
type Fly struct {
	controls   // SetFaults, ScriptFaults, Requests…
	token      string
	clock      Clock
	log        *slog.Logger
	limits     *flyRateLimits // nil unless FlyOptions.RateLimits
	saver                     // Save, Close: the state file
	region     string
	retention  time.Duration
	pendingFor time.Duration // how long a deleted volume stays listed
	orgs       []string      // the token's organizations; empty: all but the foreign ones
	tr         Transitions
	handler    http.Handler
	routes     []string // implemented "METHOD /path" patterns, for /_sim/info
	notBuilt   []string // spec endpoints answered 501

	mu       sync.Mutex
	st       flyState
	changed  chan struct{} // closed and replaced on every machine change; /wait listens
	execHook ExecFunc
	logs     flyLogs // the machines' log rings (fly_logs.go)
}

// NewFly returns a Fly simulator. It panics if FlyOptions.StateFile exists but cannot be
// loaded or the faults are invalid; OpenFly returns those as errors instead.
func NewFly(o FlyOptions) *Fly { return mustOpen(OpenFly(o)) }

// OpenFly is NewFly that reports a bad state file or bad faults as an error.
func OpenFly(o FlyOptions) (*Fly, error) {
	c, err := newControls("fly", o.Faults, o.RecordRequests, secretRoutes...)
	if err != nil {
		return nil, err
	}
	f := &Fly{
		token:      o.Token,
		clock:      clockOrReal(o.Clock),
		log:        o.Logger,
		controls:   c,
		saver:      saver{stateFile: o.StateFile},
		region:     o.DefaultRegion,
		retention:  o.DestroyedRetention,
		pendingFor: o.PendingDestroyRetention,
		orgs:       slices.Clone(o.Orgs),
		tr:         o.Transitions.withDefaults(o.ImmediateTransitions),
		st:         newFlyState(),
		changed:    make(chan struct{}),
	}
	if f.token == "" {
		f.token = "fo1_" + randomFrom(lowerAlnum, 43)
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.region == "" {
		f.region = "iad"
	}
	if f.retention <= 0 {
		f.retention = 5 * time.Minute
	}
	if f.pendingFor <= 0 {
		f.pendingFor = 24 * time.Hour
	}
	if o.RateLimits {
		f.limits = newFlyRateLimits()
	}
	var st flyState
	if found, err := f.load("fly", &st); err != nil {
		return nil, err
	} else if found {
		f.st = st
	}
	f.handler = f.buildHandler()
	return f, nil
}

// Token returns the API token the simulator accepts.
func (f *Fly) Token() string { return f.token }

// ServeHTTP serves the Fly Machines API under /v1 and the simulator's own test API under
// /_sim/.
func (f *Fly) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.handler.ServeHTTP(w, r) }

// ExecHook sets the function that answers exec requests; nil restores the default (empty
// output, exit code 0).
func (f *Fly) ExecHook(h ExecFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.execHook = h
}

// Save writes the state file now, if one was configured.
func (f *Fly) Save() error { return f.save(&f.mu, &f.st) }

// Close saves the state file (once); the simulator keeps answering afterwards.
func (f *Fly) Close() error { return f.closeWith(f.Save) }

// stateJSON returns the simulator's state as it would be saved.
func (f *Fly) stateJSON() (json.RawMessage, error) { return lockedJSON(&f.mu, &f.st) }

// restoreState replaces the simulator's state with a saved one.
func (f *Fly) restoreState(raw json.RawMessage) error {
	st := newFlyState()
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("fly state: %w", err)
	}
	st.normalize()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = st
	f.notifyLocked()
	return nil
}

// buildHandler wires the API behind faults and auth, and /_sim/ beside it.
func (f *Fly) buildHandler() http.Handler {
	api := http.NewServeMux()
	f.flyRoutes(api)
	f.flyLogRoutes(api)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeFlyError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s (GET /_sim/info lists what the simulator implements)", r.Method, r.URL.Path))
	})
	top := http.NewServeMux()
	f.simRoutes(top)
	top.Handle("/", f.front(api, f.routes, f.authenticate(api), writeFlyError))
	return logRequests(f.log, "fly", top)
}

// handle registers an implemented endpoint; action names its rate-limit bucket ("" = none).
func (f *Fly) handle(mux *http.ServeMux, pattern, action string, h http.HandlerFunc) {
	f.routes = append(f.routes, pattern)
	if action != "" {
		h = f.rateLimited(action, h)
	}
	mux.HandleFunc(pattern, h)
}

// unbuilt registers an endpoint of the real API that the simulator does not model: 501, so
// a client can tell "not built" from "wrong URL".
func (f *Fly) unbuilt(mux *http.ServeMux, pattern string) {
	f.notBuilt = append(f.notBuilt, pattern)
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		writeFlyError(w, http.StatusNotImplemented, fmt.Sprintf("not implemented by the simulator: %s (GET /_sim/info lists what is)", pattern))
	})
}

// Routes returns the implemented API endpoints as "METHOD /path" patterns.
func (f *Fly) Routes() []string { return slices.Clone(f.routes) }

// authenticate refuses requests without the simulator's token, as Fly does: 401
// {"error":"unauthorized"}.
func (f *Fly) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(r) {
			writeFlyError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized accepts "Bearer T" and "FlyV1 T", and a comma-separated token list as fly-go
// sends it, when any token equals the simulator's.
func (f *Fly) authorized(r *http.Request) bool {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "FlyV1")) {
		return false
	}
	for _, tok := range strings.Split(rest, ",") {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(f.token)) == 1 {
			return true
		}
	}
	return false
}

// flyError is an error with the HTTP status the Machines API answers it with.
type flyError struct {
	status int
	msg    string
}

func (e *flyError) Error() string { return e.msg }

func flyErrorf(status int, format string, args ...any) *flyError {
	return &flyError{status: status, msg: fmt.Sprintf(format, args...)}
}

// writeFlyErr answers err in Fly's error shape; an error without a status is a simulator
// bug and answers 500.
func writeFlyErr(w http.ResponseWriter, err error) {
	var fe *flyError
	if errors.As(err, &fe) {
		writeFlyError(w, fe.status, fe.msg)
		return
	}
	writeFlyError(w, http.StatusInternalServerError, "internal error: "+err.Error())
}

// writeFlyError writes Fly's error body: {"error": "…"}. fly-go's flaps client turns the
// "error" string into its error message.
func writeFlyError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
