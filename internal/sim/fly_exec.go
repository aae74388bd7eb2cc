package sim

import (
	"net/http"
	"slices"
	"strings"
)

// execMachine: POST …/exec {"command": [...]} or {"cmd": "…"} (flaps sends cmd, a string,
// split on white space here) → {"exit_code","stdout","stderr"}. The answer comes from the
// ExecHook (default: no output, exit 0). Every exec is recorded for Snapshot. The machine
// must be started (412) and, like every mutation, exec is refused while another holder's
// lease is on the machine (409) — flaps sends no nonce for exec.
func (f *Fly) execMachine(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Command []string `json:"command"`
		Cmd     string   `json:"cmd"`
		Timeout int      `json:"timeout"`
	}
	if err := decodeBody(r, &req, false); err != nil {
		writeFlyError(w, http.StatusBadRequest, err.Error())
		return
	}
	cmd := req.Command
	if len(cmd) == 0 {
		cmd = strings.Fields(req.Cmd)
	}
	if len(cmd) == 0 {
		writeFlyError(w, http.StatusBadRequest, "command is required: send {\"command\": [\"program\", \"arg\", …]}")
		return
	}

	f.mu.Lock()
	a, m, err := f.mutableMachineLocked(r)
	if err == nil && m.State != stateStarted {
		err = flyErrorf(http.StatusPreconditionFailed, "unable to exec: machine is not started (current state: '%s')", m.State)
	}
	hook := f.execHook
	f.mu.Unlock()
	if err != nil {
		writeFlyErr(w, err)
		return
	}

	// The hook runs outside the lock: it may be slow, or call back into the simulator.
	stdout, stderr, exit := "", "", 0
	if hook != nil {
		stdout, stderr, exit = hook(a.Name, m.ID, slices.Clone(cmd))
	}

	f.mu.Lock()
	m.Execs = append(m.Execs, ExecRecord{Cmd: cmd, ExitCode: exit, Time: f.clock.Now().UTC()})
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"exit_code": exit, "stdout": stdout, "stderr": stderr})
}
