package live

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Without credentials `make testlive` skips, says so on its first line, names every missing
// variable, and exits 0: nothing is created and nothing is swept.
func TestMainSkipsWithoutCredentials(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), nil, func(string) string { return "" }, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stdout %q stderr %q", code, out.String(), errOut.String())
	}
	if !strings.HasPrefix(out.String(), "SKIPPED: ") {
		t.Errorf("stdout %q does not start with SKIPPED", out.String())
	}
	first := strings.SplitN(out.String(), "\n", 2)[0]
	for _, name := range []string{EnvFlyToken, EnvFlyOrg, EnvORKey, EnvStripeKey} {
		if !strings.Contains(first, name) {
			t.Errorf("the SKIPPED line %q does not name %s", first, name)
		}
	}
	if strings.Contains(out.String(), "swept:") || errOut.Len() != 0 {
		t.Errorf("a skipped run swept or complained: stdout %q stderr %q", out.String(), errOut.String())
	}

	// One credential set: the others are still named, this one no longer.
	env := map[string]string{EnvFlyToken: "fo1_token"}
	out.Reset()
	if code := Main(context.Background(), nil, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d with only %s set", code, EnvFlyToken)
	}
	first = strings.SplitN(out.String(), "\n", 2)[0]
	if !strings.HasPrefix(first, "SKIPPED: ") || strings.Contains(first, EnvFlyToken) || !strings.Contains(first, EnvFlyOrg+", "+EnvORKey+", "+EnvStripeKey) {
		t.Errorf("SKIPPED line %q: want FLY_ORG, OPENROUTER_MANAGEMENT_KEY, STRIPE_API_KEY and not FLY_API_TOKEN", first)
	}
}

// -check (what `make testlive` asks before it builds tofu) prints nothing and says by its exit
// code whether a run would start.
func TestMainCheck(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{}, 3},
		{map[string]string{EnvFlyToken: "t", EnvFlyOrg: "acme", EnvORKey: "k", EnvStripeKey: "sk_live_x"}, 3},
		{map[string]string{EnvFlyToken: "t", EnvFlyOrg: "acme", EnvORKey: "k", EnvStripeKey: "sk_test_x"}, 0},
	} {
		var out, errOut bytes.Buffer
		if code := Main(context.Background(), []string{"-check"}, func(k string) string { return tc.env[k] }, &out, &errOut); code != tc.want || out.Len()+errOut.Len() != 0 {
			t.Errorf("-check with %v: exit %d, output %q %q; want %d and nothing printed", tc.env, code, out.String(), errOut.String(), tc.want)
		}
	}
}

// A live-mode Stripe key is refused — exit 2, "REFUSED", the variable named — before anything
// runs, whether or not the other credentials are set; so is a prefix that cannot name what a
// run makes.
func TestMainRefusesALiveModeStripeKey(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"alone":           {EnvStripeKey: "sk_live_0123456789"},
		"with the others": {EnvFlyToken: "fo1_t", EnvFlyOrg: "acme", EnvORKey: "sk-or-v1-x", EnvStripeKey: "sk_live_0123456789"},
		"restricted live": {EnvFlyToken: "fo1_t", EnvFlyOrg: "acme", EnvORKey: "sk-or-v1-x", EnvStripeKey: "rk_live_0123456789"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(context.Background(), nil, func(k string) string { return env[k] }, &out, &errOut)
			if code != 2 || !strings.HasPrefix(errOut.String(), "REFUSED: ") || !strings.Contains(errOut.String(), EnvStripeKey) {
				t.Fatalf("exit %d, stderr %q; want 2 and REFUSED naming %s", code, errOut.String(), EnvStripeKey)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q: a refused run printed as if it ran or skipped", out.String())
			}
			if strings.Contains(errOut.String(), env[EnvStripeKey]) {
				t.Error("the refusal echoes the key")
			}
		})
	}
	env := map[string]string{EnvFlyToken: "fo1_t", EnvFlyOrg: "acme", EnvORKey: "k", EnvStripeKey: "sk_test_x", EnvPrefix: "NO"}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), nil, func(k string) string { return env[k] }, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), EnvPrefix) {
		t.Errorf("bad prefix: exit %d, stderr %q; want 2 naming %s", code, errOut.String(), EnvPrefix)
	}
}

// The command itself, built and run as `make testlive` runs it, in an empty environment:
// it exits 0 and prints SKIPPED with the missing variables; with a live-mode key it exits 2.
func TestCommandSkipsInAnEmptyEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the testlive command; skipped under -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build testlive with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "testlive")
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/testlive")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/testlive: %v\n%s", err, out)
	}

	cmd := exec.Command(bin)
	cmd.Env = []string{} // nothing at all: no credentials, no PATH, no HOME
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testlive in an empty environment: %v (stdout %q)", err, out)
	}
	first := strings.SplitN(string(out), "\n", 2)[0]
	if first != "SKIPPED: the live tests did not run: FLY_API_TOKEN, FLY_ORG, OPENROUTER_MANAGEMENT_KEY, STRIPE_API_KEY not set." {
		t.Errorf("first line %q", first)
	}

	cmd = exec.Command(bin)
	cmd.Env = []string{EnvStripeKey + "=sk_live_0123456789"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), "REFUSED") {
		t.Errorf("testlive with a live-mode Stripe key: %v, stderr %q; want exit 2 and REFUSED", err, stderr.String())
	}
}
