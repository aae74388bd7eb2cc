package settings

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const repoRoot = "../.."

// TestReadmeCarriesTheTable: the README's configuration table is the one Markdown renders from
// the table (make docs writes it).
func TestReadmeCarriesTheTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, ok := WithReadmeTable(string(b))
	if !ok {
		t.Fatalf("README.md lacks the settings table markers %q and %q", ReadmeStart, ReadmeEnd)
	}
	if want != string(b) {
		t.Errorf("README.md's settings table differs from internal/settings: run make docs and commit README.md")
	}
}

// TestTableIsConsistent: one row per variable, one variable per flag, and every row says what
// it is for and who reads it.
func TestTableIsConsistent(t *testing.T) {
	envs, flags := map[string]bool{}, map[string]bool{}
	for _, s := range All() {
		if envs[s.Env] {
			t.Errorf("%s has two rows", s.Env)
		}
		envs[s.Env] = true
		if s.Flag != "" {
			if flags[s.Flag] {
				t.Errorf("-%s is the flag of two settings", s.Flag)
			}
			flags[s.Flag] = true
			if !slices.Contains(s.UsedBy, Serve) {
				t.Errorf("%s has the flag -%s, but only serve takes flags from the table", s.Env, s.Flag)
			}
		}
		if s.Usage == "" || len(s.UsedBy) == 0 {
			t.Errorf("%s: every setting says what it means and which commands read it", s.Env)
		}
		if s.Secret && s.Default != "" {
			t.Errorf("%s is secret and has a default: a secret's default would be printed by -h", s.Env)
		}
	}
	for _, want := range []string{Store, PlatformSecret, FlyAPIToken, OpenRouterManagement} {
		if !slices.Contains(Names(For(Provider)), want) {
			t.Errorf("the provider's settings lack %s", want)
		}
	}
	for _, want := range []string{PlatformSecret, PlatformSecretPrevious, FlyAPIToken, OpenRouterManagement, OpenRouterPooledKey} {
		if !slices.Contains(Secrets(For(Provider)), want) {
			t.Errorf("%s is not among the provider's secrets, so the runner would not redact it", want)
		}
	}
}

func TestGetPanicsOnAName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Get of a name not in the table did not panic")
		}
	}()
	Get("LAUNCHPAD_NO_SUCH_SETTING")
}

func TestValueFallsBackToTheDefault(t *testing.T) {
	env := map[string]string{Workers: "5"}
	getenv := func(k string) string { return env[k] }
	if v := Value(getenv, Workers); v != "5" {
		t.Errorf("Value(LAUNCHPAD_WORKERS=5) = %q", v)
	}
	if v := Value(getenv, LogFormat); v != "json" {
		t.Errorf("Value of unset LAUNCHPAD_LOG_FORMAT = %q, want the default json", v)
	}
}

// notSettings are names that look like settings in the product's code but are not read from
// its environment.
var notSettings = map[string]string{
	"OPENROUTER_API_KEY": "the Fly app secret that carries a tenant's model key into its machine",
	"LAUNCHPAD_APP":      "an environment variable of the tenant machine, set by the provider",
}

// TestEveryVariableTheCodeNamesIsInTheTable scans the product's Go files (not tests, not the
// harness, not the test-helper packages) for names of Launchpad's variables: each must be a
// row of the table, so no setting is read, or named in a message, without being documented.
func TestEveryVariableTheCodeNamesIsInTheTable(t *testing.T) {
	name := regexp.MustCompile(`\b(LAUNCHPAD|PLATFORM|FLY|OPENROUTER|STRIPE|FIRESTORE|GOOGLE)_[A-Z0-9_]+\b`)
	seen := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		if d.IsDir() {
			base := d.Name()
			if strings.HasPrefix(base, ".") && rel != "." || rel == filepath.Join("internal", "harness") ||
				strings.HasSuffix(base, "test") || base == "emulator" || base == "testdata" || base == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range name.FindAllString(string(b), -1) {
			seen++
			if _, ok := notSettings[n]; ok {
				continue
			}
			if !slices.Contains(Names(All()), n) {
				t.Errorf("%s names %s, which is not in the settings table (internal/settings/table.go)", rel, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("found %d names of variables in the product's code; the scan is not reading it", seen)
	}
}
