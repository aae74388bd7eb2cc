package simtest

import (
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
