package sim

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Fly's published Machines API limits, modelled when FlyOptions.RateLimits is on: each
// action on a machine (update, start, stop, wait, lease, exec, …) is limited to 1 request
// per second per machine with bursts of 3; Get Machine to 5 per second with bursts of 10;
// creating machines to 1 per second per app with bursts of 3. Listing and the app, volume,
// IP and secret endpoints are not limited here. Limits run on the simulator's Clock.
const (
	actionRate  = rate.Limit(1)
	actionBurst = 3
	getRate     = rate.Limit(5)
	getBurst    = 10
)

type flyRateLimits struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter // "action app/machine" → bucket
}

func newFlyRateLimits() *flyRateLimits {
	return &flyRateLimits{buckets: map[string]*rate.Limiter{}}
}

// allow takes a token from the bucket, or says how long until one is free.
func (l *flyRateLimits) allow(action, key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := action + " " + key
	lim, ok := l.buckets[k]
	if !ok {
		if action == "get" {
			lim = rate.NewLimiter(getRate, getBurst)
		} else {
			lim = rate.NewLimiter(actionRate, actionBurst)
		}
		l.buckets[k] = lim
	}
	if lim.AllowN(now, 1) {
		return true, 0
	}
	res := lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	return false, wait
}

// rateLimited puts an endpoint behind its bucket: 429 {"error":"rate limit exceeded"} with
// Retry-After (whole seconds, rounded up) when the bucket is empty.
func (f *Fly) rateLimited(action string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f.limits == nil {
			h(w, r)
			return
		}
		key := r.PathValue("app") + "/" + r.PathValue("id")
		ok, wait := f.limits.allow(action, key, f.clock.Now())
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
			writeFlyError(w, http.StatusTooManyRequests, "rate limit exceeded")
			return
		}
		h(w, r)
	}
}
