package controlplane

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
)

// Metering runs the metering loop (package metering) in the server's process: machine hours
// against the plan's cap, the sub-key's spend cap, and the suspension of a subscription
// unpaid beyond its grace. Every replica may run it: passes coordinate through the store.
type Metering struct {
	// Interval between passes (LAUNCHPAD_METER_INTERVAL); 0 means metering.DefaultInterval.
	// It is also how far past a cap or the grace a machine may run before it is stopped.
	Interval time.Duration
	// Clock is the time the meter counts to; nil means the wall clock. It must agree with
	// the clock that stamps machine events (Fly's; tests share one with the simulator).
	Clock metering.Clock
	// Workers bounds how many tenants a pass meters at once; 0 means metering.DefaultWorkers.
	Workers int
}

// newMeter builds the meter of deps.Metering; nil when there is none to run.
func (s *Server) newMeter(deps Deps) (*metering.Meter, error) {
	if deps.Metering == nil || deps.Runtime == nil {
		return nil, nil
	}
	return metering.New(metering.Deps{
		Store: deps.Store, Runtime: deps.Runtime, Keys: deps.Keys, Mailer: deps.Mailer,
		Clock: deps.Metering.Clock, Workers: deps.Metering.Workers,
		Logger:       s.log.With("component", "metering"),
		DashboardURL: s.cfg.PublicURL + "/",
		PastDueGrace: deps.Billing.PastDueGrace, VolumeRetention: deps.Billing.VolumeRetention,
	})
}

// meterLoop runs the meter every interval (metering.DefaultInterval when 0).
func meterLoop(meter *metering.Meter, interval time.Duration) *loop {
	if interval <= 0 {
		interval = metering.DefaultInterval
	}
	return &loop{name: "the metering loop", run: func(ctx context.Context) error { return meter.Run(ctx, interval) }}
}
