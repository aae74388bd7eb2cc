package operator

import (
	"strings"
	"unicode/utf8"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// keyPrefixes start API keys that must never be typed into a command: the command is written
// to the user's audit log, which the user reads.
var keyPrefixes = []string{"sk-or-", "sk-ant-", "sk-proj-"}

// validate checks req and fills in its default timeout.
func validate(req *Request) error {
	if err := launchpad.ValidateUserID(req.UserID); err != nil {
		return err
	}
	if err := launchpad.ValidateOperatorName(req.Operator); err != nil {
		return err
	}
	if req.App != "" {
		if err := launchpad.ValidateAppName(req.App); err != nil {
			return err
		}
	}
	switch {
	case req.Timeout == 0:
		req.Timeout = DefaultTimeout
	case req.Timeout < 0 || req.Timeout > MaxTimeout:
		return launchpad.Errorf(launchpad.EINVALID, "the timeout must be between 1s and %s, got %s", MaxTimeout, req.Timeout)
	}
	return validateCommand(req.Command)
}

// validateCommand checks a command before it is audited and run: at least a program, every
// argument printable-safe text without NUL, and bounded in number and size.
func validateCommand(cmd []string) error {
	switch {
	case len(cmd) == 0 || cmd[0] == "":
		return launchpad.Errorf(launchpad.EINVALID, "the command is empty: send the program and its arguments, as [\"ls\", \"-la\", \"/workspace\"]")
	case len(cmd) > MaxArgs:
		return launchpad.Errorf(launchpad.EINVALID, "the command has %d arguments; at most %d are accepted", len(cmd), MaxArgs)
	}
	total := 0
	for i, arg := range cmd {
		total += len(arg) + 1
		switch {
		case !utf8.ValidString(arg):
			return launchpad.Errorf(launchpad.EINVALID, "argument %d of the command is not valid UTF-8 text", i)
		case strings.ContainsRune(arg, 0):
			return launchpad.Errorf(launchpad.EINVALID, "argument %d of the command contains a NUL byte, which no program can receive", i)
		case hasKey(arg):
			return launchpad.Errorf(launchpad.EINVALID, "argument %d of the command looks like an API key: commands are written to the user's audit log, so a key must never be part of one (read it from the machine's environment instead)", i)
		}
	}
	if total > MaxCommandBytes {
		return launchpad.Errorf(launchpad.EINVALID, "the command is %d bytes long; at most %d are accepted (copy a script to the volume and run that instead)", total, MaxCommandBytes)
	}
	return nil
}

func hasKey(arg string) bool {
	for _, p := range keyPrefixes {
		if strings.Contains(arg, p) {
			return true
		}
	}
	return false
}
