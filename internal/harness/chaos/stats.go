package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// latencies are the answers of the load run, per route: how long they took and what they
// were.
type latencies struct {
	mu     sync.Mutex
	routes map[string]*routeStats
}

type routeStats struct {
	durations []time.Duration
	ok        int // 2xx
	limited   int // 429: the rate limits doing their job, counted apart
	client    int // other 4xx
	server    int // 5xx: never acceptable
	failed    int // no answer at all
	examples  []string
}

func newLatencies() *latencies { return &latencies{routes: map[string]*routeStats{}} }

// record counts one request; noAnswer says it got none (a transport error).
func (l *latencies) record(route string, d time.Duration, status int, noAnswer bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.routes[route]
	if s == nil {
		s = &routeStats{}
		l.routes[route] = s
	}
	s.durations = append(s.durations, d)
	bad := false
	switch {
	case noAnswer:
		s.failed++
		bad = true
	case status >= 500:
		s.server++
		bad = true
	case status == 429:
		s.limited++
	case status >= 400:
		s.client++
		bad = true
	default:
		s.ok++
	}
	if bad && len(s.examples) < 5 && err != nil {
		s.examples = append(s.examples, err.Error())
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// print writes one line per route: counts by kind of answer, p50 and p99.
func (l *latencies) print(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := make([]string, 0, len(l.routes))
	for n := range l.routes {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "   %-34s %8s %8s %6s %6s %5s %7s %9s %9s\n", "route", "requests", "2xx", "429", "4xx", "5xx", "no-ans", "p50", "p99")
	for _, n := range names {
		s := l.routes[n]
		d := slices.Clone(s.durations)
		slices.Sort(d)
		fmt.Fprintf(w, "   %-34s %8d %8d %6d %6d %5d %7d %9s %9s\n", n, len(d), s.ok, s.limited, s.client, s.server, s.failed,
			percentile(d, 0.50).Round(100*time.Microsecond), percentile(d, 0.99).Round(100*time.Microsecond))
	}
}

// snapshot returns a copy of the per-route counts.
func (l *latencies) snapshot() map[string]routeStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]routeStats{}
	for n, s := range l.routes {
		c := *s
		c.durations = nil
		c.examples = slices.Clone(s.examples)
		out[n] = c
	}
	return out
}

// bodies keeps each distinct answer body once, to look for secrets in them at the end.
type bodies struct {
	mu   sync.Mutex
	seen map[[32]byte]bool
	all  [][]byte
	size int
}

// maxBodies bounds what is kept (distinct bodies are few: the same user reads the same page).
const maxBodies = 256 << 20

func newBodies() *bodies { return &bodies{seen: map[[32]byte]bool{}} }

func (b *bodies) add(body []byte) {
	if len(body) == 0 {
		return
	}
	h := sha256.Sum256(body)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen[h] || b.size+len(body) > maxBodies {
		return
	}
	b.seen[h] = true
	b.all = append(b.all, slices.Clone(body))
	b.size += len(body)
}

func (b *bodies) list() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.all)
}
