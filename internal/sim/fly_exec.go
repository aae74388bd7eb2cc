package sim

import (
	"net/http"
	"slices"
	"strings"
)

// execMachine: POST …/exec {"command": [...]} or {"cmd": "…"} (flaps sends cmd, a string,
// which flyd splits into words as a POSIX shell would, without running one: quotes and
// backslashes group and escape, nothing is expanded; an unterminated quote is a 400) →
// {"exit_code","stdout","stderr"}. The answer comes from the
// ExecHook (default: no output, exit 0). Every exec is recorded for Snapshot. The machine
// must be started (412) and, like every mutation, exec is refused while another holder's
// lease is on the machine (409) — flaps sends no nonce for exec.
func (f *Fly) execMachine(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Command []string `json:"command"`
		Cmd     string   `json:"cmd"`
		Timeout int      `json:"timeout"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return
	}
	cmd := req.Command
	if len(cmd) == 0 {
		words, err := splitWords(req.Cmd)
		if err != nil {
			writeFlyErr(w, err)
			return
		}
		cmd = words
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

// splitWords splits a command line into words the way a POSIX shell's word splitting and
// quote removal do, with no expansion: blanks separate words; '…' keeps everything literally;
// "…" keeps everything but \ before $ ` " \ or a newline; a backslash outside quotes keeps the
// next character (and drops a newline). An unterminated quote or a trailing backslash is a 400.
func splitWords(line string) ([]string, error) {
	var (
		words   []string
		word    strings.Builder
		inWord  bool
		runes   = []rune(line)
		invalid = func(why string) error {
			return flyErrorf(http.StatusBadRequest, "invalid_argument: cmd: %s", why)
		}
	)
	for i := 0; i < len(runes); i++ {
		c := runes[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, word.String()), false
				word.Reset()
			}
		case c == '\\':
			if i+1 >= len(runes) {
				return nil, invalid("a backslash ends the command")
			}
			i++
			if runes[i] != '\n' {
				word.WriteRune(runes[i])
				inWord = true
			}
		case c == '\'':
			end := slices.Index(runes[i+1:], '\'')
			if end < 0 {
				return nil, invalid("an unterminated single quote")
			}
			word.WriteString(string(runes[i+1 : i+1+end]))
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(runes) && runes[i] != '"'; i++ {
				if runes[i] == '\\' && i+1 < len(runes) && strings.ContainsRune("$`\"\\\n", runes[i+1]) {
					i++
					if runes[i] == '\n' {
						continue
					}
				}
				word.WriteRune(runes[i])
			}
			if i >= len(runes) {
				return nil, invalid("an unterminated double quote")
			}
			inWord = true
		default:
			word.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}
