// Package simtest starts the Fly and OpenRouter simulators of package sim in-process for a
// test, on 127.0.0.1 with a random port, and tears them down when the test ends.
//
//	fly := simtest.StartFly(t, sim.FlyOptions{})
//	client, _ := flaps.NewWithOptions(ctx, flaps.NewClientOpts{
//		Tokens:    tokens.Parse(fly.Token),
//		Transport: fly.Transport(), // flaps reads its base URL only from FLY_FLAPS_BASE_URL
//	})
//
//	or := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
//	// or.URL is the API base, e.g. http://127.0.0.1:PORT/api/v1; or.ManagementKey the key.
//
// A client's unit test scripts the failures it needs and checks what the client sent:
//
//	fly := simtest.StartFly(t, sim.FlyOptions{RecordRequests: true})
//	fly.Sim.ScriptFaults("POST /v1/apps/{app}/machines", simtest.DropAfter())
//	// … run the client …
//	creates := simtest.Matching(fly.Sim.Requests(), "POST /v1/apps/lp-a/machines")
package simtest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/contract"
)

// Option changes how StartFly and StartOpenRouter start a simulator.
type Option func(*options)

type options struct{ unchecked bool }

// WithoutContract starts the simulator without the OpenAPI contract check: for a test that
// sends, on purpose, requests the vendor's spec does not allow (the simulator's own answers to
// malformed requests). Every other test runs with it.
func WithoutContract() Option { return func(o *options) { o.unchecked = true } }

// FlyServer is a running Fly Machines API simulator.
type FlyServer struct {
	// URL is the base URL, what FLY_FLAPS_BASE_URL holds (flaps appends /v1).
	URL string
	// Token is the API token the simulator accepts.
	Token string
	// Sim is the simulator, for Snapshot, SetFaults, ExecHook….
	Sim *sim.Fly
	// Contract checks every request and response against Fly's OpenAPI spec (nil with
	// WithoutContract); the test fails at its end if it found a deviation the allowlist does
	// not allow.
	Contract *contract.Checker
}

// StartFly starts a Fly simulator for the test; it is closed (and its state file saved,
// if any) when the test ends. It fails the test if the state file cannot be loaded. Every
// request and response is checked against Fly's OpenAPI spec (package contract) unless
// WithoutContract is given.
func StartFly(t testing.TB, o sim.FlyOptions, opts ...Option) *FlyServer {
	t.Helper()
	f, url, checker := start(t, "Fly", contract.Fly, func() (*sim.Fly, error) { return sim.OpenFly(o) }, opts)
	return &FlyServer{URL: url, Token: f.Token(), Sim: f, Contract: checker}
}

// simulator is what a simulator is to a test: a handler with a state file to close.
type simulator interface {
	http.Handler
	Close() error
}

// start opens the simulator named name and serves it on loopback for the test, checked
// against api's spec unless opts say WithoutContract; it fails the test if open fails. When
// the test ends it stops the server, closes the simulator (saving its state file, if any) and
// fails the test for every deviation from the spec. url is the server's root.
func start[S simulator](t testing.TB, name string, api contract.API, open func() (S, error), opts []Option) (s S, url string, checker *contract.Checker) {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatalf("simtest: start %s simulator: %v", name, err)
	}
	handler, checker := checked(t, api, s, opts)
	srv := httptest.NewServer(handler)
	t.Cleanup(func() {
		srv.Close()
		if err := s.Close(); err != nil {
			t.Errorf("simtest: close %s simulator: %v", name, err)
		}
		reportViolations(t, checker)
	})
	return s, srv.URL, checker
}

// checked wraps h with a contract Checker of api, unless opts say WithoutContract.
func checked(t testing.TB, api contract.API, h http.Handler, opts []Option) (http.Handler, *contract.Checker) {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.unchecked {
		return h, nil
	}
	c, err := contract.NewChecker(api)
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	return c.Handler(h), c
}

// reportViolations fails the test for every deviation from the spec the checker saw.
func reportViolations(t testing.TB, c *contract.Checker) {
	if c == nil {
		return
	}
	for _, v := range c.Violations() {
		t.Errorf("contract: %s (not in internal/sim/contract/allowlist.txt)", v)
	}
}

// Transport returns a RoundTripper that sends every request to the simulator whatever
// host it names, for clients (like flaps) whose base URL is not injectable.
func (s *FlyServer) Transport() http.RoundTripper { return RewriteTransport(s.URL, nil) }

// OpenRouterServer is a running OpenRouter keys API simulator.
type OpenRouterServer struct {
	// URL is the API base, e.g. http://127.0.0.1:PORT/api/v1 (what OPENROUTER_API_URL holds).
	URL string
	// Origin is the server's root, e.g. http://127.0.0.1:PORT (where /_sim/ lives).
	Origin string
	// ManagementKey is the management key the simulator accepts.
	ManagementKey string
	// Sim is the simulator, for Snapshot, Spend, SetFaults….
	Sim *sim.OpenRouter
	// Contract checks every request and response against OpenRouter's OpenAPI spec (nil with
	// WithoutContract).
	Contract *contract.Checker
}

// StartOpenRouter starts an OpenRouter simulator for the test; it is closed (and its state
// file saved, if any) when the test ends. Every request and response is checked against
// OpenRouter's OpenAPI spec (package contract) unless WithoutContract is given.
func StartOpenRouter(t testing.TB, o sim.OpenRouterOptions, opts ...Option) *OpenRouterServer {
	t.Helper()
	or, origin, checker := start(t, "OpenRouter", contract.OpenRouter, func() (*sim.OpenRouter, error) { return sim.OpenOpenRouter(o) }, opts)
	return &OpenRouterServer{URL: origin + sim.OpenRouterBasePath, Origin: origin, ManagementKey: or.ManagementKey(), Sim: or, Contract: checker}
}

// RewriteTransport returns a RoundTripper that rewrites each request's scheme and host to
// those of target and sends it with base (nil: http.DefaultTransport). The path and query
// are kept.
func RewriteTransport(target string, base http.RoundTripper) http.RoundTripper {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		panic("simtest: RewriteTransport needs an absolute URL, got " + target)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &rewriteTransport{target: u, base: base}
}

type rewriteTransport struct {
	target *url.URL
	base   http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context()) // a RoundTripper must not change the caller's request
	r2.URL.Scheme = t.target.Scheme
	r2.URL.Host = t.target.Host
	r2.Host = t.target.Host
	return t.base.RoundTrip(r2)
}
