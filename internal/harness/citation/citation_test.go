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
		"Seal is `internal/x/x.go:3-6#Seal`.",
		"The keyring `internal/x/x.go:8-11#Keyring` has a field `internal/x/x.go:9-10#Keyring.Name`.",
		"Open: `internal/x/x.go:13-15#Keyring.Open`; TTL `internal/x/x.go:17-20#SignInCodeTTL`, nonce `internal/x/x.go:19-19#nonceSize`.",
		"Limit `internal/x/x.go:22-22#MaxSize`. Table `schema.sql:1-3#audit_events`.",
	}, "\n")
	cites, problems := Check(repo(t), doc)
	if len(cites) != 8 {
		t.Fatalf("parsed %d citations, want 8: %v", len(cites), cites)
	}
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
}

func TestStaleCitationsFail(t *testing.T) {
	cases := map[string]string{
		"missing file":        "`internal/x/gone.go:1-2#Seal`",
		"past the end":        "`internal/x/x.go:20-40#MaxSize`",
		"symbol moved away":   "`internal/x/x.go:13-15#Seal`",
		"a call, not a decl":  "`internal/x/x.go:14-14#Seal`",
		"too wide":            "`internal/x/x.go:1-200#Seal`",
		"empty range":         "`internal/x/x.go:5-4#Seal`",
		"outside the repo":    "`../x/x.go:1-2#Seal`",
		"renamed method":      "`internal/x/x.go:13-15#Keyring.Close`",
		"word not in non-Go":  "`schema.sql:1-3#sessions`",
		"comment is not decl": "`internal/x/x.go:3-3#Seal`",
	}
	root := repo(t)
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			cites, problems := Check(root, doc)
			if len(cites) != 1 || len(problems) != 1 {
				t.Fatalf("%s: %d citations, %d problems; want 1 and 1", doc, len(cites), len(problems))
			}
		})
	}
}

// TestMovingCodeDownFailsTheCitation is the promise of the guide: move a cited function 30
// lines down without updating the guide, and the check fails.
func TestMovingCodeDownFailsTheCitation(t *testing.T) {
	root := repo(t)
	doc := "`internal/x/x.go:3-6#Seal`"
	if _, p := Check(root, doc); len(p) != 0 {
		t.Fatalf("before the move: %v", p)
	}
	path := filepath.Join(root, "internal", "x", "x.go")
	moved := strings.Replace(sample, "// Seal seals.", strings.Repeat("// padding\n", 30)+"// Seal seals.", 1)
	if err := os.WriteFile(path, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, p := Check(root, doc); len(p) != 1 {
		t.Fatalf("after moving Seal 30 lines down the citation still holds: %v", p)
	}
}
