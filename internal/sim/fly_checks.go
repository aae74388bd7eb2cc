package sim

import (
	"slices"
	"strings"
)

// UnhealthyTagSuffix marks an image whose agent never becomes healthy: a machine running an
// image whose tag ends in it is started, but every one of its health checks stays critical.
// Tests and the sandbox use it to see a bad release stopped by a rollout's health gate.
const UnhealthyTagSuffix = "-unhealthy"

// checkStatusJSON is one entry of a machine's checks (fly-go's MachineCheckStatus).
type checkStatusJSON struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	Output    string `json:"output"`
	UpdatedAt string `json:"updated_at"`
}

// checkStatuses reports each check of the machine's config.checks, by name. Fly runs checks
// only on a running machine: before it is started (and while it is replaced or stopped) each
// is critical; once it is started each passes, unless its image is an unhealthy one
// (UnhealthyTagSuffix), whose checks never pass. A machine with no checks reports none.
func (m *flyMachine) checkStatuses() []checkStatusJSON {
	var checks map[string]any
	if err := unmarshalField(m.Config, "checks", &checks); err != nil || len(checks) == 0 {
		return []checkStatusJSON{}
	}
	var image string
	_ = unmarshalField(m.Config, "image", &image)
	status, output := "passing", "Success: connected to the agent's port"
	switch {
	case m.State != "started":
		status, output = "critical", "the machine is "+m.State+"; checks run only on a started machine"
	case strings.HasSuffix(parseImageRef(image).Tag, UnhealthyTagSuffix):
		status, output = "critical", "dial tcp: connect: connection refused"
	}
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]checkStatusJSON, 0, len(names))
	for _, name := range names {
		out = append(out, checkStatusJSON{Name: name, Status: status, Output: output, UpdatedAt: rfc3339(m.UpdatedAt)})
	}
	return out
}
