package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
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

// liveModeKey and liveModeRestrictedKey have the prefixes of live-mode Stripe keys, which a
// live run must refuse, and are placeholders, not keys: they are put together from parts so
// that the source holds nothing a secret scanner takes for a leaked key.
const (
	liveModeKey           = "sk_" + "live_" + "placeholder"
	liveModeRestrictedKey = "rk_" + "live_" + "placeholder"
)

// -check (what `make testlive` asks before it builds tofu) prints nothing and says by its exit
// code whether a run would start.
func TestMainCheck(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{}, 3},
		{map[string]string{EnvFlyToken: "t", EnvFlyOrg: "acme", EnvORKey: "k", EnvStripeKey: liveModeKey}, 3},
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
		"alone":           {EnvStripeKey: liveModeKey},
		"with the others": {EnvFlyToken: "fo1_t", EnvFlyOrg: "acme", EnvORKey: "sk-or-v1-x", EnvStripeKey: liveModeKey},
		"restricted live": {EnvFlyToken: "fo1_t", EnvFlyOrg: "acme", EnvORKey: "sk-or-v1-x", EnvStripeKey: liveModeRestrictedKey},
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
	cmd.Env = []string{EnvStripeKey + "=" + liveModeKey}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), "REFUSED") {
		t.Errorf("testlive with a live-mode Stripe key: %v, stderr %q; want exit 2 and REFUSED", err, stderr.String())
	}
}

// runWorld is a live run's configuration on the simulators and stripe-mock, with a leftover
// of an earlier run (an app and a key under the prefix) and someone else's app and key, and
// a stand-in for `go` that records how it was called and then does what script says.
type runWorld struct {
	env        map[string]string
	fly        *simtest.FlyServer
	or         *simtest.OpenRouterServer
	args, tofu string
}

func newRunWorld(t *testing.T, script string) *runWorld {
	t.Helper()
	ctx := context.Background()
	f := simtest.StartFly(t, sim.FlyOptions{})
	o := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	w := &runWorld{fly: f, or: o, env: map[string]string{
		EnvFlyToken: f.Token, EnvFlyOrg: "acme", EnvFlyURL: f.URL, EnvORKey: o.ManagementKey, EnvORURL: o.URL,
		EnvStripeKey: "sk_test_launchpad", EnvStripeURL: stacktest.StartStripeMock(t), EnvPrefix: "lplive",
	}}
	rt, err := fly.New(ctx, fly.Config{BaseURL: f.URL, Token: f.Token, Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	or, err := openrouter.New(openrouter.Config{BaseURL: o.URL, ManagementKey: o.ManagementKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"lp-hermes-lplive3f-t0", "lp-hermes-alice01-t0"} {
		if _, err := rt.CreateApp(ctx, launchpad.AppSpec{Name: app}); err != nil {
			t.Fatal(err)
		}
	}
	limit := 1.0
	for _, name := range []string{"launchpad-lplive3f", "launchpad-alice01"} {
		if _, err := or.CreateKey(ctx, launchpad.KeySpec{Name: name, LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	w.args, w.tofu = filepath.Join(dir, "args"), filepath.Join(dir, "tofu")
	if err := os.WriteFile(w.tofu, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	goScript := "#!/bin/sh\necho \"LAUNCHPAD_LIVE=$LAUNCHPAD_LIVE TF_ACC=$TF_ACC TF_ACC_TERRAFORM_PATH=$TF_ACC_TERRAFORM_PATH $*\" > " + w.args + "\n" + script
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(goScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *runWorld) main(ctx context.Context, t *testing.T) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"-go", filepath.Join(filepath.Dir(w.args), "go"), "-tofu", w.tofu}, func(k string) string { return w.env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// assertSwept checks that the sweep took the leftovers under the prefix, said so, and left
// everything else.
func (w *runWorld) assertSwept(t *testing.T, out string) {
	t.Helper()
	for _, line := range []string{"swept Fly app lp-hermes-lplive3f-t0", "swept OpenRouter key launchpad-lplive3f", "swept: 1 Fly apps, 1 OpenRouter keys, 0 Stripe customers, 0 Stripe products"} {
		if !strings.Contains(out, line) {
			t.Errorf("stdout does not say %q:\n%s", line, out)
		}
	}
	if apps := w.fly.Sim.Snapshot().Apps; len(apps) != 1 || apps[0].Name != "lp-hermes-alice01-t0" {
		t.Errorf("apps left %+v, want alice's only", apps)
	}
	if keys := w.or.Sim.Snapshot().Keys; len(keys) != 1 || keys[0].Name != "launchpad-alice01" {
		t.Errorf("keys left %+v, want alice's only", keys)
	}
}

// With the credentials, the live tests run through `go test -tags live` with LAUNCHPAD_LIVE=1
// and the acceptance settings, and when they fail the sweep still runs: the run exits 1 after
// deleting what carries the prefix and printing it.
func TestMainSweepsAfterAFailedRun(t *testing.T) {
	w := newRunWorld(t, "echo '--- FAIL: TestLiveProvider_lifecycle'\nexit 1\n")
	code, out, errOut := w.main(context.Background(), t)
	if code != 1 || !strings.Contains(errOut, "FAIL: the live tests") {
		t.Errorf("exit %d, stderr %q; want 1 and FAIL", code, errOut)
	}
	args, err := os.ReadFile(w.args)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LAUNCHPAD_LIVE=1 TF_ACC=1 TF_ACC_TERRAFORM_PATH=" + w.tofu, "test -tags live -count=1", "-run ^TestLive ./provider/ ./controlplane/"} {
		if !strings.Contains(string(args), want) {
			t.Errorf("go was run as %q; want %q in it", args, want)
		}
	}
	w.assertSwept(t, out)
}

// Ctrl-C (the context ending) interrupts the tests — their whole process group gets SIGINT —
// and the sweep runs after them.
func TestMainSweepsAfterAnInterrupt(t *testing.T) {
	w := newRunWorld(t, "sleep 60 >/dev/null 2>&1 &\ntrap 'kill $!; echo tests interrupted; exit 130' INT\nwait $!\necho 'tests ran to the end'\n")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for { // once the stand-in is running
			if _, err := os.Stat(w.args); err == nil {
				time.Sleep(200 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	start := time.Now()
	code, out, errOut := w.main(ctx, t)
	if code != 1 || !strings.Contains(errOut, "interrupted") {
		t.Errorf("exit %d, stderr %q; want 1 and the interruption said", code, errOut)
	}
	if !strings.Contains(out, "tests interrupted") || strings.Contains(out, "ran to the end") || time.Since(start) > 30*time.Second {
		t.Errorf("the tests were not interrupted (%s):\n%s", time.Since(start), out)
	}
	w.assertSwept(t, out)
}

func TestProblemsNameWhatIsMissing(t *testing.T) {
	env := map[string]string{}
	c := FromEnv(func(k string) string { return env[k] })
	p := c.Problems()
	if len(p) != 1 || p[0] != "FLY_API_TOKEN, FLY_ORG, OPENROUTER_MANAGEMENT_KEY, STRIPE_API_KEY not set" {
		t.Errorf("problems %q", p)
	}
	env = map[string]string{EnvFlyToken: "t", EnvFlyOrg: "o", EnvORKey: "k", EnvStripeKey: liveModeKey, EnvPrefix: "Bad-Prefix"}
	p = FromEnv(func(k string) string { return env[k] }).Problems()
	if len(p) != 2 || !strings.Contains(p[0], "not a test-mode key") || !strings.Contains(p[1], EnvPrefix) {
		t.Errorf("problems %q; want the live-mode Stripe key and the prefix refused", p)
	}
	env[EnvStripeKey], env[EnvPrefix] = "sk_test_x", ""
	if p := FromEnv(func(k string) string { return env[k] }).Problems(); len(p) != 0 {
		t.Errorf("problems %q, want none", p)
	}
}

func TestNamesCarryThePrefix(t *testing.T) {
	c := Config{Prefix: "lplive"}
	id := c.UserID()
	name, err := launchpad.AppName("hermes", id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !c.OwnsApp(name) || !c.OwnsKey("launchpad-"+id) || !c.OwnsKey("launchpad-"+id+" r1") {
		t.Errorf("user %s: app %s or its keys are not recognised as the live run's", id, name)
	}
	for _, other := range []string{"lp-hermes-alice01-t0", "lplive-x", "lp-hermes", "app-hermes-lplive01-t0"} {
		if c.OwnsApp(other) {
			t.Errorf("%s taken for a live run's app", other)
		}
	}
	if c.OwnsKey("launchpad-alice01") || c.OwnsKey("lplive") {
		t.Error("a key that is not the live run's taken for one")
	}
}

// The sweeper deletes what carries the prefix and nothing else; it is run here against the
// simulators, which speak the same APIs as the real services.
func TestSweepTakesOnlyWhatCarriesThePrefix(t *testing.T) {
	ctx := context.Background()
	f := simtest.StartFly(t, sim.FlyOptions{})
	o := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	c := Config{FlyToken: f.Token, FlyOrg: "acme", FlyURL: f.URL, ORKey: o.ManagementKey, ORURL: o.URL, Prefix: "lplive"}
	rt, err := fly.New(ctx, fly.Config{BaseURL: f.URL, Token: f.Token, Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	or, err := openrouter.New(openrouter.Config{BaseURL: o.URL, ManagementKey: o.ManagementKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"lp-hermes-lplive3f-t0", "lp-openclaw-lplive00-t1", "lp-hermes-alice01-t0"} {
		if _, err := rt.CreateApp(ctx, launchpad.AppSpec{Name: app}); err != nil {
			t.Fatal(err)
		}
	}
	limit := 1.0
	for _, name := range []string{"launchpad-lplive3f", "launchpad-lplive3f r1", "launchpad-alice01"} {
		if _, err := or.CreateKey(ctx, launchpad.KeySpec{Name: name, LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly}); err != nil {
			t.Fatal(err)
		}
	}
	swept, err := Sweep(ctx, c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if swept.Apps != 2 || swept.Keys != 2 {
		t.Errorf("swept %s, want 2 apps and 2 keys", swept)
	}
	if apps := f.Sim.Snapshot().Apps; len(apps) != 1 || apps[0].Name != "lp-hermes-alice01-t0" {
		t.Errorf("apps left %+v, want alice's only", apps)
	}
	if keys := o.Sim.Snapshot().Keys; len(keys) != 1 || keys[0].Name != "launchpad-alice01" {
		t.Errorf("keys left %+v, want alice's only", keys)
	}
	if again, err := Sweep(ctx, c, io.Discard); err != nil || again.Apps+again.Keys != 0 {
		t.Errorf("a second sweep: %s, %v; want nothing to do", again, err)
	}
}

// The Stripe half of the sweep, against stripe-mock, which checks every request against
// Stripe's OpenAPI spec: the searches and the lists of the last day's customers and products
// are requests Stripe accepts. stripe-mock is stateless and its fixtures carry no
// launchpad_live mark, so nothing is deleted; what is deleted is decided by the mark alone.
func TestSweepStripeRequestsAreStripes(t *testing.T) {
	base := stacktest.StartStripeMock(t)
	c := Config{StripeKey: "sk_test_launchpad", StripeURL: base, Prefix: "lplive"}
	var log strings.Builder
	swept, err := Sweep(context.Background(), c, &log)
	if err != nil {
		t.Fatalf("sweep against stripe-mock: %v", err)
	}
	if swept.Customers+swept.Products+swept.Apps+swept.Keys != 0 || log.Len() != 0 {
		t.Errorf("swept %s (%q) of stripe-mock's unmarked fixtures; want nothing", swept, log.String())
	}
}
