// Command readme writes the settings table of internal/settings into README.md (make docs runs
// it), so the README always lists every setting as the code reads it.
//
//	go run ./internal/harness/readme [-file README.md]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

func main() {
	file := flag.String("file", "README.md", "the README to update")
	flag.Parse()
	b, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, ok := settings.WithReadmeTable(string(b))
	if !ok {
		fmt.Fprintf(os.Stderr, "%s has no settings table markers (%q … %q)\n", *file, settings.ReadmeStart, settings.ReadmeEnd)
		os.Exit(1)
	}
	if err := os.WriteFile(*file, []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
