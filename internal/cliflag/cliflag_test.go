package cliflag

import (
	"flag"
	"strings"
	"testing"
)

// parse runs Parse on a flag set with one flag, -n, and returns what it printed.
func parse(t *testing.T, usage string, args ...string) (code int, stop bool, printed string) {
	t.Helper()
	var out strings.Builder
	fs := flag.NewFlagSet("cmd", flag.ContinueOnError)
	fs.SetOutput(&out)
	n := fs.Int("n", 0, "a number")
	code, stop = Parse(fs, args, usage)
	if !stop && (*n != 3 || fs.Arg(0) != "file") {
		t.Errorf("parsed -n %d and %q, want 3 and file", *n, fs.Args())
	}
	return code, stop, out.String()
}

const defaults = "  -n int\n    \ta number\n"

func TestParse(t *testing.T) {
	if code, stop, printed := parse(t, "Usage: cmd\n\nFlags:", "-n", "3", "file"); code != 0 || stop || printed != "" {
		t.Errorf("good flags: %d, %v, printed %q", code, stop, printed)
	}
	if code, stop, printed := parse(t, "Usage: cmd [flags]\n\nFlags:", "-h"); code != 0 || !stop || printed != "Usage: cmd [flags]\n\nFlags:\n"+defaults {
		t.Errorf("-h: %d, %v, printed %q", code, stop, printed)
	}
	if code, stop, printed := parse(t, "Usage: cmd\n\nFlags:", "-x"); code != 2 || !stop || printed != "flag provided but not defined: -x\nUsage: cmd\n\nFlags:\n"+defaults {
		t.Errorf("a bad flag: %d, %v, printed %q", code, stop, printed)
	}
	if code, stop, printed := parse(t, "", "-x"); code != 2 || !stop || printed != "flag provided but not defined: -x\nUsage of cmd:\n"+defaults {
		t.Errorf("a bad flag, no usage given: %d, %v, printed %q", code, stop, printed)
	}
}

func TestParseNoArgs(t *testing.T) {
	var out strings.Builder
	fs := flag.NewFlagSet("cmd", flag.ContinueOnError)
	fs.SetOutput(&out)
	if code, stop := ParseNoArgs(fs, []string{"extra"}, ""); code != 2 || !stop || out.String() != "cmd takes no arguments, got \"extra\"\n" {
		t.Errorf("an argument: %d, %v, printed %q", code, stop, out.String())
	}
	if code, stop := ParseNoArgs(flag.NewFlagSet("cmd", flag.ContinueOnError), nil, ""); code != 0 || stop {
		t.Errorf("no argument: %d, %v", code, stop)
	}
}
