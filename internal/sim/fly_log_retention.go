package sim

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// The tenant agent's log retention, as the simulator records it. Fly's Machines API has no
// log-retention setting (the spec's machine config has none; Fly's log shipping keeps
// platform logs on its own terms), so Launchpad configures the agent itself through the
// machine's environment: AGENT_LOG_DIR, on the mounted volume, and AGENT_LOG_RETENTION_DAYS.
// The simulator reads them from the config as it was stored, so a test checks what a real
// machine was given, not what the client meant to send.

// LogRetention is the agent log configuration of a machine.
type LogRetention struct {
	Dir  string
	Days int
	// Volume is the id of the mounted volume Dir lies on: the logs go when it is destroyed.
	Volume string
}

// LogRetention reads the machine's agent log configuration. It is an error when either
// setting is missing or malformed, or when the directory is on no mounted volume (the logs
// would then outlive a destroy of the tenant's volume, on the machine's root filesystem).
func (m MachineSnapshot) LogRetention() (LogRetention, error) {
	dir, days := m.Env["AGENT_LOG_DIR"], m.Env["AGENT_LOG_RETENTION_DAYS"]
	if dir == "" || days == "" {
		return LogRetention{}, fmt.Errorf("machine %s has no agent log retention: AGENT_LOG_DIR=%q AGENT_LOG_RETENTION_DAYS=%q", m.ID, dir, days)
	}
	n, err := strconv.Atoi(days)
	if err != nil || n < 1 {
		return LogRetention{}, fmt.Errorf("machine %s: AGENT_LOG_RETENTION_DAYS=%q is not a whole number of days", m.ID, days)
	}
	clean := path.Clean(dir)
	for _, mnt := range m.Mounts {
		if clean == mnt.Path || strings.HasPrefix(clean, strings.TrimSuffix(mnt.Path, "/")+"/") {
			return LogRetention{Dir: clean, Days: n, Volume: mnt.Volume}, nil
		}
	}
	return LogRetention{}, fmt.Errorf("machine %s writes its logs to %s, which is on no mounted volume", m.ID, clean)
}
