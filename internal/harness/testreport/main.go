// Command testreport turns `go test -json` on stdin into what a person reading CI needs:
// one line per package, the full output of every failed test, every skipped test with the
// reason it gave (a skip must never pass silently), the lines tests mark as figures
// ("conformance: …", "BENCH …", "MEASURED …", "acceptance: …" — which Terraform CLI the
// provider's acceptance tests ran on), and a summary. It exits non-zero when any
// test or package failed, or when the input holds no test at all.
//
//	go test -json ./... | go run ./internal/harness/testreport
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// figurePrefixes mark output lines worth showing even when their test passed.
var figurePrefixes = []string{"conformance: ", "BENCH ", "MEASURED ", "acceptance: "}

type report struct {
	out      io.Writer
	output   map[string][]string // package/test → output lines, kept until the test ends
	figures  []string
	skipped  []string
	failed   []string
	passed   int
	packages map[string]string // package → final action
}

func main() {
	r := &report{out: os.Stdout, output: map[string][]string{}, packages: map[string]string{}}
	if err := r.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	os.Exit(r.summary())
}

func (r *report) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not JSON: build errors and the like. Show them as they are.
			fmt.Fprintln(r.out, sc.Text())
			continue
		}
		r.handle(e)
	}
	return sc.Err()
}

func (r *report) handle(e event) {
	key := e.Package + " " + e.Test
	switch e.Action {
	case "output":
		r.output[key] = append(r.output[key], e.Output)
		line := strings.TrimSpace(e.Output)
		for _, p := range figurePrefixes {
			if i := strings.Index(line, p); i >= 0 {
				r.figures = append(r.figures, fmt.Sprintf("%s: %s", short(e.Package), line[i:]))
			}
		}
	case "pass", "fail", "skip":
		if e.Test == "" {
			r.packages[e.Package] = e.Action
			r.packageLine(e, key)
			delete(r.output, key)
			return
		}
		switch e.Action {
		case "pass":
			r.passed++
		case "skip":
			r.skipped = append(r.skipped, fmt.Sprintf("%s %s: %s", short(e.Package), e.Test, skipReason(r.output[key])))
		case "fail":
			r.failed = append(r.failed, short(e.Package)+" "+e.Test)
			fmt.Fprintf(r.out, "--- FAIL: %s %s (%.2fs)\n%s", short(e.Package), e.Test, e.Elapsed, strings.Join(r.output[key], ""))
		}
		delete(r.output, key)
	}
}

// packageLine prints go test's usual per-package line; a failed package with no failed test
// (a build error, a panic in TestMain) gets its output printed too.
func (r *report) packageLine(e event, key string) {
	switch e.Action {
	case "pass":
		fmt.Fprintf(r.out, "ok   %s\t%.1fs\n", e.Package, e.Elapsed)
	case "skip":
		fmt.Fprintf(r.out, "?    %s\t[no test files]\n", e.Package)
	case "fail":
		fmt.Fprintf(r.out, "FAIL %s\t%.1fs\n%s", e.Package, e.Elapsed, strings.Join(r.output[key], ""))
	}
}

// skipReason is the message a test gave t.Skip, or the last line it printed.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		return l
	}
	return "(no reason given)"
}

func (r *report) summary() int {
	if len(r.figures) > 0 {
		fmt.Fprintln(r.out, "\nFigures:")
		for _, f := range r.figures {
			fmt.Fprintln(r.out, "  "+f)
		}
	}
	if len(r.skipped) > 0 {
		sort.Strings(r.skipped)
		fmt.Fprintf(r.out, "\nSKIPPED (%d) — each of these did not run:\n", len(r.skipped))
		for _, s := range r.skipped {
			fmt.Fprintln(r.out, "  "+s)
		}
	}
	failedPkgs := 0
	for _, a := range r.packages {
		if a == "fail" {
			failedPkgs++
		}
	}
	fmt.Fprintf(r.out, "\n%d passed, %d failed, %d skipped, in %d packages (%d failed)\n",
		r.passed, len(r.failed), len(r.skipped), len(r.packages), failedPkgs)
	switch {
	case len(r.failed) > 0 || failedPkgs > 0:
		return 1
	case r.passed == 0:
		fmt.Fprintln(r.out, "no test ran")
		return 1
	}
	return 0
}

func short(pkg string) string {
	return strings.TrimPrefix(pkg, "github.com/clawdrun/terraform-provider-launchpad/")
}
