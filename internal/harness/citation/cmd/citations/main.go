// Command citations prints, for each `path#Symbol` citation of the documents it is given, the
// lines of the repository it resolves to today (make docs runs it on the guides), and exits
// non-zero when a citation does not resolve.
//
//	go run ./internal/harness/citation/cmd/citations [-root DIR] FILE...
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/citation"
)

func main() {
	root := flag.String("root", ".", "the repository root the citations' paths are relative to")
	flag.Parse()
	failed := false
	for _, doc := range flag.Args() {
		b, err := os.ReadFile(doc)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		locs, problems := citation.Check(*root, string(b))
		for _, l := range locs {
			fmt.Printf("%s:%d: %s → %s\n", doc, l.Line, l.Citation, l)
		}
		for _, p := range problems {
			fmt.Fprintf(os.Stderr, "%s %s\n", doc, p)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
