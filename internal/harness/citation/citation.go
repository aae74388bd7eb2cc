// Package citation checks that the documentation's claims still point at the code that
// backs them. A claim cites `path:start-end#Symbol` — a file of this repository, a line range
// and the one symbol (function, method, type, constant, variable, field, or in a non-Go file a
// literal token) the claim is about. A citation is stale when the file is gone, the range runs
// past the end of the file, or the range no longer declares the symbol, so moving or renaming
// cited code without updating the guide fails the test that runs Check.
package citation

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// MaxRange is the longest range a citation may cover: a citation of a whole file could never
// go stale, so it would prove nothing.
const MaxRange = 80

// pattern matches `path:start-end#Symbol` inside a code span.
var pattern = regexp.MustCompile("`([A-Za-z0-9_./-]+):([0-9]+)-([0-9]+)#([A-Za-z_][A-Za-z0-9_.]*)`")

// Citation is one `path:start-end#Symbol` found in a document.
type Citation struct {
	Path       string
	Start, End int
	Symbol     string
	Line       int // where the citation appears in the document
}

func (c Citation) String() string {
	return fmt.Sprintf("%s:%d-%d#%s", c.Path, c.Start, c.End, c.Symbol)
}

// Problem is a citation that does not hold.
type Problem struct {
	Citation Citation
	Reason   string
}

func (p Problem) String() string {
	return fmt.Sprintf("line %d: %s: %s", p.Citation.Line, p.Citation, p.Reason)
}

// Parse returns every citation in a document, in order.
func Parse(doc string) []Citation {
	var out []Citation
	for i, line := range strings.Split(doc, "\n") {
		for _, m := range pattern.FindAllStringSubmatch(line, -1) {
			start, _ := strconv.Atoi(m[2])
			end, _ := strconv.Atoi(m[3])
			out = append(out, Citation{Path: m[1], Start: start, End: end, Symbol: m[4], Line: i + 1})
		}
	}
	return out
}

// Check verifies every citation of doc against the files under root.
func Check(root, doc string) (cites []Citation, problems []Problem) {
	cites = Parse(doc)
	files := map[string][]string{}
	for _, c := range cites {
		if reason := check(root, c, files); reason != "" {
			problems = append(problems, Problem{Citation: c, Reason: reason})
		}
	}
	return cites, problems
}

func check(root string, c Citation, files map[string][]string) string {
	clean := filepath.Clean(c.Path)
	if filepath.IsAbs(clean) || strings.HasPrefix(clean, "..") {
		return "the path must be relative to the repository root"
	}
	lines, ok := files[clean]
	if !ok {
		var err error
		if lines, err = readLines(filepath.Join(root, clean)); err != nil {
			return "the file cannot be read: " + err.Error()
		}
		files[clean] = lines
	}
	switch {
	case c.Start < 1 || c.End < c.Start:
		return "the range is empty or starts before line 1"
	case c.End-c.Start+1 > MaxRange:
		return fmt.Sprintf("the range covers %d lines; cite at most %d, around the symbol itself", c.End-c.Start+1, MaxRange)
	case c.End > len(lines):
		return fmt.Sprintf("the range runs past the end of the file (%d lines)", len(lines))
	}
	name := c.Symbol[strings.LastIndex(c.Symbol, ".")+1:]
	decl := declaration(name, strings.HasSuffix(clean, ".go"))
	for _, l := range lines[c.Start-1 : c.End] {
		if decl.MatchString(l) {
			return ""
		}
	}
	return fmt.Sprintf("lines %d-%d no longer declare %s", c.Start, c.End, c.Symbol)
}

// declaration matches a line that declares name: in Go a func, method, type, const, var, a
// name in a const/var block or a struct field; elsewhere the name as a whole word.
func declaration(name string, goFile bool) *regexp.Regexp {
	n := regexp.QuoteMeta(name)
	if !goFile {
		return regexp.MustCompile(`(^|[^A-Za-z0-9_])` + n + `([^A-Za-z0-9_]|$)`)
	}
	return regexp.MustCompile(`^\s*(func\s+(\([^)]*\)\s*)?` + n + `\s*[\[(]` +
		`|type\s+` + n + `\b` +
		`|(const|var)\s+` + n + `\b` +
		`|` + n + `(\s+[^=\s][^=]*)?\s*=[^=]` + // name = value, or name Type = value, in a block
		`|` + n + `\s+[*\[\]A-Za-z_.]+[A-Za-z0-9_.\]]*\s*(` + "`" + `|//|$))`) // struct field
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}
