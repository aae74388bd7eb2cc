package fly

import (
	"time"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// checksConfig turns a spec's health checks into the Machines API's config.checks.
func checksConfig(in map[string]launchpad.MachineCheck) map[string]fly.MachineCheck {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]fly.MachineCheck, len(in))
	for name, c := range in {
		mc := fly.MachineCheck{Type: fly.Pointer(c.Type), Port: fly.Pointer(c.Port)}
		if c.Path != "" {
			mc.HTTPPath = fly.Pointer(c.Path)
		}
		mc.Interval = duration(c.Interval)
		mc.Timeout = duration(c.Timeout)
		mc.GracePeriod = duration(c.GracePeriod)
		out[name] = mc
	}
	return out
}

func duration(d time.Duration) *fly.Duration {
	if d == 0 {
		return nil
	}
	return &fly.Duration{Duration: d}
}

// checksFrom reads the configured checks back.
func checksFrom(in map[string]fly.MachineCheck) map[string]launchpad.MachineCheck {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]launchpad.MachineCheck, len(in))
	for name, c := range in {
		out[name] = launchpad.MachineCheck{
			Type: deref(c.Type), Port: deref(c.Port), Path: deref(c.HTTPPath),
			Interval: fromDuration(c.Interval), Timeout: fromDuration(c.Timeout), GracePeriod: fromDuration(c.GracePeriod),
		}
	}
	return out
}

// checkStatuses is what Fly last saw of each check.
func checkStatuses(in []*fly.MachineCheckStatus) []launchpad.CheckStatus {
	var out []launchpad.CheckStatus
	for _, c := range in {
		if c == nil {
			continue
		}
		out = append(out, launchpad.CheckStatus{Name: c.Name, Status: string(c.Status), Output: c.Output})
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func fromDuration(d *fly.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}
