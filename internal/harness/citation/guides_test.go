package citation

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The security posture guide cites the code behind each of its claims. These tests hold it to
// that: every citation must hold today, the generated page must carry the template's
// citations, and every citation must be tight enough that moving its code fails it.
const (
	repoRoot      = "../../.."
	postureTmpl   = "templates/guides/security-posture.md.tmpl"
	postureDoc    = "docs/guides/security-posture.md"
	minCitations  = 60 // so that an emptied guide fails
	moveDownLines = 30 // the test: a cited function moved 30 lines down
)

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}

// TestSecurityPostureGuideCitationsHold checks every citation of the guide's template against
// the repository: the file exists, the range is inside it and no wider than MaxRange, and the
// range declares the cited symbol.
func TestSecurityPostureGuideCitationsHold(t *testing.T) {
	cites, problems := Check(repoRoot, readRepoFile(t, postureTmpl))
	for _, p := range problems {
		t.Errorf("%s %s", postureTmpl, p)
	}
	if len(problems) > 0 {
		t.Errorf("%d of %d citations no longer hold: update the guide's line ranges (grep -n the symbol) or its claims, then run make docs", len(problems), len(cites))
	}
	if len(cites) < minCitations {
		t.Errorf("%s has %d citations; a security posture guide that backs its claims has at least %d", postureTmpl, len(cites), minCitations)
	}
	files := map[string]bool{}
	for _, c := range cites {
		files[c.Path] = true
	}
	t.Logf("%s: %d citations of %d files checked", postureTmpl, len(cites), len(files))
}

// TestSecurityPostureDocMatchesTemplate checks that docs/ carries the template's citations, in
// order, and that they hold there too: the page is generated from the template by make docs,
// and a page left behind by an edit of the template is stale.
func TestSecurityPostureDocMatchesTemplate(t *testing.T) {
	want := citationStrings(Parse(readRepoFile(t, postureTmpl)))
	cites, problems := Check(repoRoot, readRepoFile(t, postureDoc))
	for _, p := range problems {
		t.Errorf("%s %s", postureDoc, p)
	}
	if got := citationStrings(cites); !slices.Equal(got, want) {
		t.Errorf("%s carries %d citations, the template %d, or in another order: run make docs and commit docs/", postureDoc, len(got), len(want))
		for i := 0; i < max(len(got), len(want)); i++ {
			g, w := "(none)", "(none)"
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("first difference at citation %d: docs %s, template %s", i+1, g, w)
				break
			}
		}
	}
}

func citationStrings(cites []Citation) []string {
	out := make([]string, len(cites))
	for i, c := range cites {
		out[i] = c.String()
	}
	return out
}

// TestSecurityPostureGuideCatchesEveryMove makes, for each citation of the guide, a copy of the
// cited file in which the cited declaration sits moveDownLines lines lower (blank lines
// inserted above it), and checks that the citation then fails. A citation whose range is so
// wide that its symbol could move 30 lines and stay inside it would prove nothing.
func TestSecurityPostureGuideCatchesEveryMove(t *testing.T) {
	cites, problems := Check(repoRoot, readRepoFile(t, postureTmpl))
	if len(problems) > 0 {
		t.Skipf("%d citations do not hold now (TestSecurityPostureGuideCitationsHold names them); moving code is checked once they do", len(problems))
	}
	for _, c := range cites {
		lines := strings.Split(readRepoFile(t, c.Path), "\n")
		at := declarationLine(c, lines)
		if at < 0 {
			t.Fatalf("%s: no declaration of %s in range, although Check passed", c, c.Symbol)
		}
		moved := slices.Concat(lines[:at], make([]string, moveDownLines), lines[at:])
		root := t.TempDir()
		writeFile(t, filepath.Join(root, c.Path), strings.Join(moved, "\n"))
		if _, problems := Check(root, "`"+c.String()+"`"); len(problems) == 0 {
			t.Errorf("guide line %d: %s still holds with %s moved %d lines down: narrow the range to the symbol's own lines",
				c.Line, c, c.Symbol, moveDownLines)
		}
	}
}

// declarationLine is the index in lines of the first line of c's range that declares its
// symbol, or -1.
func declarationLine(c Citation, lines []string) int {
	name := c.Symbol[strings.LastIndex(c.Symbol, ".")+1:]
	decl := declaration(name, strings.HasSuffix(c.Path, ".go"))
	for i := c.Start - 1; i < c.End && i < len(lines); i++ {
		if decl.MatchString(lines[i]) {
			return i
		}
	}
	return -1
}

// TestMovingACitedFunctionFailsTheGuide is the issue's own example on real code: in a copy of
// internal/envelope/derive.go, the function newSecretKey (with its comment) is cut and pasted
// 30 lines further down, and the guide's check of that file must fail on newSecretKey.
func TestMovingACitedFunctionFailsTheGuide(t *testing.T) {
	const path, symbol = "internal/envelope/derive.go", "newSecretKey"
	var cited []Citation
	for _, c := range Parse(readRepoFile(t, postureTmpl)) {
		if c.Path == path {
			cited = append(cited, c)
		}
	}
	var target *Citation
	for i := range cited {
		if cited[i].Symbol == symbol {
			target = &cited[i]
		}
	}
	if target == nil {
		t.Fatalf("the guide no longer cites %s in %s; pick another cited function for this test", symbol, path)
	}
	var doc strings.Builder
	for _, c := range cited {
		doc.WriteString("`" + c.String() + "`\n")
	}
	if _, problems := Check(repoRoot, doc.String()); len(problems) > 0 {
		t.Fatalf("the guide's citations of %s do not hold even before the move: %v", path, problems)
	}

	lines := strings.Split(readRepoFile(t, path), "\n")
	start := declarationLine(*target, lines)
	if start < 0 {
		t.Fatalf("%s: no declaration of %s", target, symbol)
	}
	end := start
	for end < len(lines) && lines[end] != "}" {
		end++
	}
	if end == len(lines) {
		t.Fatalf("%s: the function %s has no closing brace at the start of a line", path, symbol)
	}
	for start > 0 && strings.HasPrefix(lines[start-1], "//") {
		start-- // the doc comment moves with its function
	}
	fn := slices.Clone(lines[start : end+1])
	rest := slices.Concat(lines[:start], lines[end+1:])
	for len(rest) < start+moveDownLines {
		rest = append(rest, "")
	}
	moved := slices.Concat(rest[:start+moveDownLines], fn, rest[start+moveDownLines:])

	root := t.TempDir()
	writeFile(t, filepath.Join(root, path), strings.Join(moved, "\n"))
	_, problems := Check(root, doc.String())
	failed := false
	for _, p := range problems {
		t.Logf("after the move: %s", p)
		failed = failed || p.Citation.Symbol == symbol
	}
	if !failed {
		t.Errorf("moving %s %d lines down in %s did not fail its citation %s", symbol, moveDownLines, path, target)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
