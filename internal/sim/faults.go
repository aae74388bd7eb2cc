package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults are the failures a simulator injects into its API routes (never into /_sim/).
// The three rates are exclusive slices of one draw per request, so each fault happens at
// its own configured rate and their sum must not exceed 1. Scripted faults (ScriptFaults)
// come first: a request that one takes is not drawn.
type Faults struct {
	// ErrorRate is the fraction of requests answered 5xx before anything is done.
	ErrorRate float64
	// RateLimitRate is the fraction answered 429 with a Retry-After header, before anything
	// is done.
	RateLimitRate float64
	// RetryAfter is the Retry-After of injected 429s, rounded up to whole seconds (the
	// header carries seconds). Zero means 1s.
	RetryAfter time.Duration
	// Latency is added to every API request (wall-clock; the request's context cancels it).
	Latency time.Duration
	// DropRate is the fraction of requests whose change IS applied but whose response is
	// dropped: the connection is closed without a byte written, so the client sees an error
	// (EOF / connection reset) — the case that makes careless clients create duplicates.
	DropRate float64
	// Seed makes fault selection deterministic: the n-th API request to arrive (not counting
	// those a scripted fault took) gets the n-th draw of a PCG generator seeded with Seed.
	Seed int64
	// ErrorStatus is the status of injected errors; zero means 500. Note that fly-go's
	// HTTP client retries 502 and 503 by itself (up to 3 times), so 500 is what reaches
	// the caller's own retry logic.
	ErrorStatus int
}

// Validate reports what is wrong with f, if anything.
func (f Faults) Validate() error {
	var errs []error
	for _, r := range []struct {
		name string
		v    float64
	}{{"error rate", f.ErrorRate}, {"rate-limit rate", f.RateLimitRate}, {"drop rate", f.DropRate}} {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			errs = append(errs, fmt.Errorf("%s %v is not a fraction: use a number from 0 to 1", r.name, r.v))
		}
	}
	if sum := f.ErrorRate + f.RateLimitRate + f.DropRate; sum > 1+1e-9 {
		errs = append(errs, fmt.Errorf("error, rate-limit and drop rates add up to %v: they are exclusive shares of one draw, so keep their sum at most 1", sum))
	}
	if f.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("retry-after %v is negative: use 0 (meaning 1s) or more", f.RetryAfter))
	}
	if f.Latency < 0 {
		errs = append(errs, fmt.Errorf("latency %v is negative: use 0 or more", f.Latency))
	}
	if f.ErrorStatus != 0 && (f.ErrorStatus < 500 || f.ErrorStatus > 599) {
		errs = append(errs, fmt.Errorf("error status %d is not a 5xx status: use 500-599 (or 0 for 500)", f.ErrorStatus))
	}
	return errors.Join(errs...)
}

// FaultStats counts what the injector did since the faults were last set.
type FaultStats struct {
	Requests    int `json:"requests"`
	Errors      int `json:"errors"`
	RateLimited int `json:"rate_limited"`
	Dropped     int `json:"dropped"`
	// Scripted counts the requests a scripted fault took (they are not drawn).
	Scripted int `json:"scripted"`
}

type faultKind int

const (
	faultNone faultKind = iota
	faultError
	faultRateLimit
	faultDrop
	faultScripted
)

// faultInjector decides the fate of each API request: the next scripted fault queued for
// its route, else one draw from the seeded generator.
type faultInjector struct {
	mu    sync.Mutex
	f     Faults
	rng   *rand.Rand
	stats FaultStats
	// routes are the patterns a script may name (the simulator's implemented endpoints).
	routes []string
	// script holds the queued scripted faults by route; set leaves it alone, so a test can
	// switch the rates without losing its script.
	script map[string][]ScriptedFault
}

func newFaultInjector(f Faults) *faultInjector {
	in := &faultInjector{script: map[string][]ScriptedFault{}}
	in.set(f)
	return in
}

// set replaces the faults, restarts the generator from the new seed and zeroes the stats.
// It panics on invalid faults: callers validate user input first (programmer error).
func (in *faultInjector) set(f Faults) {
	if err := f.Validate(); err != nil {
		panic("sim: invalid faults: " + err.Error())
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.f = f
	seed := uint64(f.Seed)
	in.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	in.stats = FaultStats{}
}

func (in *faultInjector) current() (Faults, FaultStats) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.f, in.stats
}

// draw decides the fate of one request to route: the route's next scripted fault, if one
// is queued, else a draw.
func (in *faultInjector) draw(route string) (Faults, faultKind, ScriptedFault) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stats.Requests++
	f := in.f
	if q := in.script[route]; len(q) > 0 {
		in.script[route] = q[1:]
		if len(q) == 1 {
			delete(in.script, route)
		}
		in.stats.Scripted++
		return f, faultScripted, q[0]
	}
	return f, in.drawLocked(), ScriptedFault{}
}

// drawLocked draws one rate-based fault.
func (in *faultInjector) drawLocked() faultKind {
	f := in.f
	if f.ErrorRate == 0 && f.RateLimitRate == 0 && f.DropRate == 0 {
		return faultNone
	}
	u := in.rng.Float64()
	switch {
	case u < f.ErrorRate:
		in.stats.Errors++
		return faultError
	case u < f.ErrorRate+f.RateLimitRate:
		in.stats.RateLimited++
		return faultRateLimit
	case u < f.ErrorRate+f.RateLimitRate+f.DropRate:
		in.stats.Dropped++
		return faultDrop
	}
	return faultNone
}

// FaultHeader marks an answer that an injected fault wrote instead of the simulated API (its
// value is the fault's kind): a test's own answer, which contract checks leave alone.
const FaultHeader = "Sim-Fault"

// answerFunc writes an error in the simulated API's own error shape.
type answerFunc func(w http.ResponseWriter, status int, message string)

// serve applies latency and a fault to one request for route, in front of next.
func (in *faultInjector) serve(w http.ResponseWriter, r *http.Request, route string, next http.Handler, answer answerFunc) {
	f, kind, scripted := in.draw(route)
	if f.Latency > 0 && !sleepCtx(r.Context(), f.Latency) {
		return
	}
	switch kind {
	case faultScripted:
		serveScripted(scripted, w, r, next, answer)
	case faultError:
		status := f.ErrorStatus
		if status == 0 {
			status = http.StatusInternalServerError
		}
		w.Header().Set(FaultHeader, "error")
		answer(w, status, "injected fault: simulated server error")
	case faultRateLimit:
		w.Header().Set(FaultHeader, "rate_limit")
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(f.RetryAfter)))
		answer(w, http.StatusTooManyRequests, "rate limit exceeded")
	case faultDrop:
		next.ServeHTTP(discardWriter{header: http.Header{}}, r)
		dropConnection(w)
	default:
		next.ServeHTTP(w, r)
	}
}

// retryAfterSeconds rounds d up to whole seconds; zero means the default of 1s.
func retryAfterSeconds(d time.Duration) int {
	if d <= 0 {
		return 1
	}
	return int(math.Ceil(d.Seconds()))
}

// dropConnection closes the client's connection without writing a response. When the
// connection cannot be hijacked (HTTP/2, a recorder), aborting the handler has the same
// effect for the client.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// discardWriter swallows the response of a request whose answer is dropped.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// sleepCtx waits d or until ctx ends; it reports whether the full wait happened.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
