package citation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A small repository to cite.
const sample = `package x

// Seal seals.
func Seal(p []byte) string {
	return ""
}

type Keyring struct {
	current *key
	Name    string ` + "`json:\"name\"`" + `
}

func (k *Keyring) Open(s string) ([]byte, error) {
	_ = Seal(nil)
}

const (
	SignInCodeTTL = 15
	nonceSize     = 12
)

var MaxSize int64 = 8 << 20
`

func repo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "internal", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "internal", "x", "x.go"), []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "schema.sql"), []byte("CREATE TABLE audit_events (\n  hash TEXT\n);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGoodCitationsHold(t *testing.T) {
	doc := strings.Join([]string{
		"Seal is `internal/x/x.go#Seal`.",
		"The keyring `internal/x/x.go#Keyring` has a field `internal/x/x.go#Keyring.Name`.",
		"Open: `internal/x/x.go#Keyring.Open`; TTL `internal/x/x.go#SignInCodeTTL`, nonce `internal/x/x.go#nonceSize`.",
		"Limit `internal/x/x.go#MaxSize`. Table `schema.sql#audit_events`.",
	}, "\n")
	locs, problems := Check(repo(t), doc)
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
	want := []string{"internal/x/x.go:4-6", "internal/x/x.go:8-11", "internal/x/x.go:10-10", "internal/x/x.go:13-15",
		"internal/x/x.go:18-18", "internal/x/x.go:19-19", "internal/x/x.go:22-22", "schema.sql:1-1"}
	if len(locs) != len(want) {
		t.Fatalf("resolved %d citations, want %d: %v", len(locs), len(want), locs)
	}
	for i, l := range locs {
		if l.String() != want[i] {
			t.Errorf("%s resolved to %s, want %s", l.Citation, l, want[i])
		}
	}
}

func TestStaleCitationsFail(t *testing.T) {
	cases := map[string]string{
		"missing file":         "`internal/x/gone.go#Seal`",
		"renamed function":     "`internal/x/x.go#Sealed`",
		"method as a function": "`internal/x/x.go#Open`",
		"function as a method": "`internal/x/x.go#Keyring.Seal`",
		"outside the repo":     "`../x/x.go#Seal`",
		"renamed method":       "`internal/x/x.go#Keyring.Close`",
		"field of another":     "`internal/x/x.go#Other.Name`",
		"word not in non-Go":   "`schema.sql#sessions`",
		"a line-number form":   "`internal/x/x.go:3-6#Seal`",
	}
	root := repo(t)
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			locs, problems := Check(root, doc)
			if len(locs) != 0 || len(problems) != 1 {
				t.Fatalf("%s: %d resolved, %d problems; want 0 and 1", doc, len(locs), len(problems))
			}
			t.Log(problems[0])
		})
	}
}

// TestMovingCodeKeepsTheCitation is why citations name symbols: move a cited function 30
// lines down and the citation still holds, at its new lines.
func TestMovingCodeKeepsTheCitation(t *testing.T) {
	root := repo(t)
	doc := "`internal/x/x.go#Seal`"
	path := filepath.Join(root, "internal", "x", "x.go")
	moved := strings.Replace(sample, "// Seal seals.", strings.Repeat("// padding\n", 30)+"// Seal seals.", 1)
	if err := os.WriteFile(path, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	locs, p := Check(root, doc)
	if len(p) != 0 || len(locs) != 1 {
		t.Fatalf("after moving Seal 30 lines down: %v", p)
	}
	if locs[0].Start != 34 {
		t.Errorf("Seal resolved to %s after the move, want line 34", locs[0])
	}
}
