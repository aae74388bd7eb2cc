package simtest

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// Shorthands for the scripted faults tests queue most, so a script reads as a sequence:
//
//	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.RateLimited("7"), simtest.Respond(503))

// Respond answers status without applying the request.
func Respond(status int) sim.ScriptedFault {
	return sim.ScriptedFault{Kind: sim.FaultRespond, Status: status}
}

// RateLimited answers 429 with Retry-After (seconds or an HTTP date) without applying the
// request.
func RateLimited(retryAfter string) sim.ScriptedFault {
	return sim.ScriptedFault{Kind: sim.FaultRespond, Status: 429, RetryAfter: retryAfter}
}

// FailAfter applies the request, then answers status.
func FailAfter(status int) sim.ScriptedFault {
	return sim.ScriptedFault{Kind: sim.FaultFailAfter, Status: status}
}

// DropAfter applies the request, then closes the connection unanswered.
func DropAfter() sim.ScriptedFault { return sim.ScriptedFault{Kind: sim.FaultDropAfter} }

// HangAfter applies the request, then never answers.
func HangAfter() sim.ScriptedFault { return sim.ScriptedFault{Kind: sim.FaultHangAfter} }

// Delay waits d before serving the request; a client that gives up first leaves it
// unapplied.
func Delay(d time.Duration) sim.ScriptedFault {
	return sim.ScriptedFault{Kind: sim.FaultDelay, Delay: d}
}

// faultable is a simulator whose random faults a test sets and reads back.
type faultable interface {
	SetFaults(sim.Faults)
	Faults() (sim.Faults, sim.FaultStats)
}

// SurvivesACloudBadDay calls read 10,000 times while s fails 30% of requests (20% 500, 5%
// 429, 5% dropped: `make chaos`'s cloud faults) and fails the test unless every call
// succeeds. With six attempts a request gives up after six straight failures, 0.3^6 ≈ 1 in
// 1,400: a 50-tenant apply (about 1,300 requests) then failed about every other run. The
// client under test shortens its waits so this takes seconds; its attempts are the default.
func SurvivesACloudBadDay(t testing.TB, s faultable, read func() error) {
	t.Helper()
	s.SetFaults(sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.05, DropRate: 0.05, Seed: 3})
	failed := 0
	var first error
	for range 10_000 {
		if err := read(); err != nil {
			if failed++; first == nil {
				first = err
			}
		}
	}
	_, stats := s.Faults()
	t.Logf("%d requests for 10,000 reads: %d 500s, %d 429s, %d dropped", stats.Requests, stats.Errors, stats.RateLimited, stats.Dropped)
	if failed > 0 {
		t.Fatalf("%d of 10,000 reads failed under a 30%% fault rate, first: %v", failed, first)
	}
}
