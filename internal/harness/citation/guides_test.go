package citation

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The security posture guide cites the code behind each of its claims. These tests hold it to
// that: every citation must resolve today, the generated page must carry the template's
// citations, renaming any cited symbol must fail its citation, and moving code must not.
const (
	repoRoot     = "../../.."
	postureTmpl  = "templates/guides/security-posture.md.tmpl"
	postureDoc   = "docs/guides/security-posture.md"
	minCitations = 60 // so that an emptied guide fails
)

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}

// TestSecurityPostureGuideCitationsHold resolves every citation of the guide's template: the
// file exists and declares the cited symbol exactly once.
func TestSecurityPostureGuideCitationsHold(t *testing.T) {
	locs, problems := Check(repoRoot, readRepoFile(t, postureTmpl))
	for _, p := range problems {
		t.Errorf("%s %s", postureTmpl, p)
	}
	if len(problems) > 0 {
		t.Errorf("%d citations do not hold: point them at the symbol's new name or file, or change the claim, then run make docs", len(problems))
	}
	if len(locs) < minCitations {
		t.Errorf("%s has %d citations; a security posture guide that backs its claims has at least %d", postureTmpl, len(locs), minCitations)
	}
	files := map[string]bool{}
	for _, l := range locs {
		files[l.Path] = true
	}
	t.Logf("%s: %d citations of %d files checked", postureTmpl, len(locs), len(files))
}

// TestSecurityPostureDocMatchesTemplate checks that docs/ carries the template's citations, in
// order, and that they hold there too: the page is generated from the template by make docs,
// and a page left behind by an edit of the template is stale.
func TestSecurityPostureDocMatchesTemplate(t *testing.T) {
	want, _ := Parse(readRepoFile(t, postureTmpl))
	locs, problems := Check(repoRoot, readRepoFile(t, postureDoc))
	for _, p := range problems {
		t.Errorf("%s %s", postureDoc, p)
	}
	got := make([]Citation, len(locs))
	for i, l := range locs {
		got[i] = l.Citation
	}
	same := slices.EqualFunc(got, want, func(a, b Citation) bool { return a.String() == b.String() })
	if !same {
		t.Errorf("%s carries %d citations, the template %d, or in another order: run make docs and commit docs/", postureDoc, len(got), len(want))
	}
}

// TestSecurityPostureGuideCatchesEveryRename makes, for each citation of the guide, a copy of
// the cited file in which every whole-word occurrence of the cited name is renamed, and checks
// that the citation then fails: a citation that survived the rename of its own symbol would
// prove nothing.
func TestSecurityPostureGuideCatchesEveryRename(t *testing.T) {
	locs, problems := Check(repoRoot, readRepoFile(t, postureTmpl))
	if len(problems) > 0 {
		t.Skipf("%d citations do not hold now (TestSecurityPostureGuideCitationsHold names them); renames are checked once they do", len(problems))
	}
	for _, l := range locs {
		name := l.Symbol[strings.LastIndex(l.Symbol, ".")+1:]
		renamed := renameWord(readRepoFile(t, l.Path), name, name+"Renamed")
		root := t.TempDir()
		writeFile(t, filepath.Join(root, l.Path), renamed)
		if _, problems := Check(root, "`"+l.Citation.String()+"`"); len(problems) == 0 {
			t.Errorf("guide line %d: %s still holds with %s renamed", l.Line, l.Citation, name)
		}
	}
}

// TestMovingACitedFunctionKeepsTheGuide is what citing by symbol is for: in a copy of
// internal/envelope/derive.go, the function newSecretKey (with its comment) is cut and pasted
// at the end of the file, below every other declaration, and the guide's citations of that
// file still hold, now resolving to the new lines.
func TestMovingACitedFunctionKeepsTheGuide(t *testing.T) {
	const path, symbol = "internal/envelope/derive.go", "newSecretKey"
	var doc strings.Builder
	cited := false
	all, _ := Parse(readRepoFile(t, postureTmpl))
	for _, c := range all {
		if c.Path == path {
			doc.WriteString("`" + c.String() + "`\n")
			cited = cited || c.Symbol == symbol
		}
	}
	if !cited {
		t.Fatalf("the guide no longer cites %s in %s; pick another cited function for this test", symbol, path)
	}
	before, problems := Check(repoRoot, doc.String())
	if len(problems) > 0 {
		t.Fatalf("the guide's citations of %s do not hold even before the move: %v", path, problems)
	}

	lines := strings.Split(readRepoFile(t, path), "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "func "+symbol+"(") })
	if start < 0 {
		t.Fatalf("%s: no func %s", path, symbol)
	}
	end := start
	for end < len(lines) && lines[end] != "}" {
		end++
	}
	for start > 0 && strings.HasPrefix(lines[start-1], "//") {
		start-- // the doc comment moves with its function
	}
	fn := slices.Clone(lines[start : end+1])
	moved := slices.Concat(lines[:start], lines[end+1:], []string{""}, fn)
	root := t.TempDir()
	writeFile(t, filepath.Join(root, path), strings.Join(moved, "\n"))

	after, problems := Check(root, doc.String())
	if len(problems) > 0 {
		t.Fatalf("moving %s to the end of its file broke citations: %v", symbol, problems)
	}
	for i := range before {
		if before[i].Symbol == symbol && after[i].Start <= before[i].Start {
			t.Errorf("%s resolved to %s before the move and %s after it; it should have moved down", symbol, before[i], after[i])
		}
	}
}

func renameWord(s, old, new string) string {
	var b strings.Builder
	isWord := func(r byte) bool {
		return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], old) && (i == 0 || !isWord(s[i-1])) && (i+len(old) == len(s) || !isWord(s[i+len(old)])) {
			b.WriteString(new)
			i += len(old)
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
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
