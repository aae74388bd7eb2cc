package cliflag

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, usage string
		args        []string
		code        int
		stop        bool
		printed     string // "" means nothing
	}{
		{name: "flags", args: []string{"-n", "3", "file"}},
		{name: "help", usage: "Usage: cmd [flags]\n\nFlags:", args: []string{"-h"}, code: 0, stop: true,
			printed: "Usage: cmd [flags]\n\nFlags:\n  -n int\n    \ta number\n"},
		{name: "bad flag", usage: "Usage: cmd\n\nFlags:", args: []string{"-x"}, code: 2, stop: true,
			printed: "flag provided but not defined: -x\nUsage: cmd\n\nFlags:\n  -n int\n    \ta number\n"},
		{name: "bad flag, default usage", args: []string{"-x"}, code: 2, stop: true,
			printed: "flag provided but not defined: -x\nUsage of cmd:\n  -n int\n    \ta number\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			fs := flag.NewFlagSet("cmd", flag.ContinueOnError)
			fs.SetOutput(&out)
			fs.Int("n", 0, "a number")
			code, stop := Parse(fs, tc.args, tc.usage)
			if code != tc.code || stop != tc.stop {
				t.Errorf("Parse = %d, %v; want %d, %v", code, stop, tc.code, tc.stop)
			}
			if got := out.String(); got != tc.printed {
				t.Errorf("printed %q, want %q", got, tc.printed)
			}
			if !tc.stop && strings.Join(fs.Args(), " ") != "file" {
				t.Errorf("args = %q", fs.Args())
			}
		})
	}
}
