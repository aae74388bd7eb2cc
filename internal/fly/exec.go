package fly

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// defaultExecTimeout is used when Exec is given no timeout.
const defaultExecTimeout = 30 * time.Second

// Exec runs cmd in the machine and returns its exit code and output.
//
// fly-go v0.3.1 sends the command as the single string "cmd" of the exec request (the
// Machines API's older form; flyd splits it into words like a POSIX shell would, without
// running a shell). cmd is therefore joined with shell quoting: an argument made only of
// safe characters is sent as it is, any other is put in single quotes (a quote inside becomes
// '"'"'), so every argument arrives as exactly one word, spaces and quotes included.
//
// A command is not repeatable, so an exec that may have reached the machine (timeout,
// dropped connection, 5xx) is never sent again; only refusals before anything ran (429, a
// connection that could not be made) are retried. The command never appears in an error.
func (c *Client) Exec(ctx context.Context, app, id string, cmd []string, timeout time.Duration) (*launchpad.ExecResult, error) {
	if err := requiredIn(app, "machine id", id); err != nil {
		return nil, err
	}
	if len(cmd) == 0 || cmd[0] == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "running a command in machine %s of app %s: the command is empty", id, app)
	}
	if timeout <= 0 {
		timeout = defaultExecTimeout
	}
	secs := int((timeout + time.Second - 1) / time.Second)
	req := &fly.MachineExecRequest{Cmd: shellJoin(cmd), Timeout: secs}
	var res *fly.MachineExecResponse
	err := c.call(ctx, fmt.Sprintf("running a command in machine %s of app %s", id, app), callOptions{
		noResend:       true,
		attemptTimeout: timeout + c.timeout,
	}, func(ctx context.Context) error {
		var err error
		res, err = c.flaps.Exec(ctx, app, id, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &launchpad.ExecResult{ExitCode: int(res.ExitCode), Stdout: res.StdOut, Stderr: res.StdErr}, nil
}

// safeWord matches arguments that need no quoting.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellJoin joins args into one command line that POSIX word splitting turns back into args.
func shellJoin(args []string) string {
	words := make([]string, len(args))
	for i, a := range args {
		if safeWord.MatchString(a) {
			words[i] = a
			continue
		}
		words[i] = "'" + strings.ReplaceAll(a, "'", `'"'"'`) + "'"
	}
	return strings.Join(words, " ")
}
