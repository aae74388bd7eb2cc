// Package cliflag parses a command's flags the one way the binary's subcommands and the
// harness's commands all do: -h prints the usage and exits 0, a bad flag prints the error and
// the usage and exits 2.
package cliflag

import (
	"errors"
	"flag"
	"fmt"
)

// Parse parses args into fs. usage, when not empty, is what -h (and a bad flag) prints before
// the flags' defaults, on fs's output; it ends with "Flags:". stop says the command ends now
// with code: 0 after -h, 2 after a bad flag (fs has printed the error and the usage).
func Parse(fs *flag.FlagSet, args []string, usage string) (code int, stop bool) {
	if usage != "" {
		fs.Usage = func() {
			fmt.Fprintln(fs.Output(), usage)
			fs.PrintDefaults()
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}

// ParseNoArgs is Parse for a command that takes only flags: an argument left after them is a
// usage error (code 2), printed as "<the flag set's name> takes no arguments, got …".
func ParseNoArgs(fs *flag.FlagSet, args []string, usage string) (code int, stop bool) {
	if code, stop := Parse(fs, args, usage); stop {
		return code, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s takes no arguments, got %q\n", fs.Name(), fs.Arg(0))
		return 2, true
	}
	return 0, false
}
