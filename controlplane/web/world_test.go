package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp/smtptest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

const (
	worldSecret  = "browser-test-platform-secret-0123456789abcdefghij"
	adminToken   = "browser-test-admin-token-0123456789abcdef"
	planPro      = "pro"
	proHours     = 10
	proSpendUSD  = 5.0
	testOrg      = "personal"
	agentImage   = "registry.fly.io/hermes:1"
	portalURL    = "https://billing.stripe.com/p/login/test_launchpad"
	checkoutLink = "https://buy.stripe.com/test_launchpad"
)

// world is a whole control plane on loopback — the real server with the dashboard mounted,
// a SQLite store, an SMTP peer — and the Fly and OpenRouter simulators with the real clients.
type world struct {
	t       *testing.T
	store   *sqlite.DB
	keyring *envelope.Keyring
	smtp    *smtptest.Server
	fly     *simtest.FlyServer
	or      *simtest.OpenRouterServer
	rt      *fly.Client
	keys    *openrouter.Client
	srv     *controlplane.Server
	url     string
	logs    *stacktest.Output // the control plane's log, for tests that look for secrets in it
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldAt(t, nil)
}

// newWorldAt is newWorld with the control plane on the clock now (nil: the wall clock) and its
// Config changed by configure.
func newWorldAt(t *testing.T, now func() time.Time, configure ...func(*controlplane.Config)) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t}
	var err error
	if w.store, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "launchpad.db"), sqlite.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.store.Close() })
	if w.keyring, err = envelope.NewKeyring(worldSecret, ""); err != nil {
		t.Fatal(err)
	}
	w.smtp = smtptest.Start(t, smtptest.Options{})
	mailer, err := smtp.New(smtp.Config{URL: w.smtp.URL(), From: "Launchpad <launchpad@example.com>", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w.fly = simtest.StartFly(t, sim.FlyOptions{})
	w.or = simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	if w.rt, err = fly.New(ctx, fly.Config{BaseURL: w.fly.URL, Token: w.fly.Token, Org: testOrg, Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if w.keys, err = openrouter.New(openrouter.Config{BaseURL: w.or.URL, ManagementKey: w.or.ManagementKey, Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}

	addr := freeAddr(t)
	off := controlplane.RateLimit{Off: true}
	logs := &stacktest.Output{}
	w.logs = logs
	cfg := controlplane.Config{
		Addr: addr, PublicURL: "http://" + addr, AdminToken: adminToken,
		Limits: controlplane.Limits{CodesPerEmail: off, CodesPerIP: off, VerifyPerIP: off, MFAPerUser: off},
	}
	for _, f := range configure {
		f(&cfg)
	}
	w.srv, err = controlplane.New(cfg, controlplane.Deps{
		Store: w.store, Keyring: w.keyring, Mailer: mailer, Keys: w.keys, Runtime: w.rt, Now: now,
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Dashboard: web.Config{AuditPoll: 100 * time.Millisecond, OverviewPoll: 100 * time.Millisecond, BillingPortalURL: portalURL, CheckoutURL: checkoutLink},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.srv.Close(); err != nil {
			t.Errorf("server Close: %v", err)
		}
		if t.Failed() {
			t.Logf("control plane log:\n%s", logs.String())
		}
	})
	w.url = w.srv.URL()
	if err := w.store.CreatePlan(ctx, &launchpad.Plan{
		Name: planPro, DisplayName: "Pro", MonthlySpendLimitUSD: proSpendUSD, MachineHoursPerCycle: proHours,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 512}, VolumeSizeGB: 1,
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// freeAddr picks a free loopback port, so the public URL (the token issuer, the trusted
// origin) names the address the server then listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// tenant is one provisioned customer.
type tenant struct {
	userID, email, app, machine string
	ipv4, ipv6                  string
	keyHash, key                string // the sub-key's plaintext: spent on the gateway, never shown
}

// provision makes a paying customer the way an apply leaves one: a user on plan pro with an
// active subscription, an app on its own network with a dedicated IPv4 and an IPv6, a started
// machine, all on the Fly simulator, and a $5 sub-key on the OpenRouter simulator, sealed into
// the user's record as the provider stores it.
func (w *world) provision(email string) *tenant {
	w.t.Helper()
	ctx := context.Background()
	tn := &tenant{userID: launchpad.NewID(20), email: email}
	uid8, err := launchpad.UID8(tn.userID)
	if err != nil {
		w.t.Fatal(err)
	}
	tn.app = "lp-hermes-" + uid8 + "-t1"
	if _, err := w.rt.CreateApp(ctx, launchpad.AppSpec{Name: tn.app, Org: testOrg, Network: tn.app}); err != nil {
		w.t.Fatal(err)
	}
	v4, err := w.rt.AllocateIP(ctx, tn.app, launchpad.IPSpec{Type: launchpad.IPv4})
	if err != nil {
		w.t.Fatal(err)
	}
	v6, err := w.rt.AllocateIP(ctx, tn.app, launchpad.IPSpec{Type: launchpad.IPv6})
	if err != nil {
		w.t.Fatal(err)
	}
	tn.ipv4, tn.ipv6 = v4.Address, v6.Address
	m, err := w.rt.CreateMachine(ctx, tn.app, launchpad.MachineSpec{Name: "agent", Region: "iad", Image: agentImage,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 512}})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.rt.WaitMachine(ctx, tn.app, m.ID, "started", 10*time.Second); err != nil {
		w.t.Fatal(err)
	}
	tn.machine = m.ID
	limit := proSpendUSD
	key, err := w.keys.CreateKey(ctx, launchpad.KeySpec{Name: "lp-" + tn.userID, LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly})
	if err != nil {
		w.t.Fatal(err)
	}
	tn.keyHash, tn.key = key.Info.Hash, key.Key
	now := time.Now().UTC()
	if err := w.store.CreateUser(ctx, &launchpad.User{
		ID: tn.userID, Email: email, Plan: planPro, OpenRouterKeyHash: tn.keyHash,
		Subscription: launchpad.Subscription{Status: "active", Plan: planPro, CurrentPeriodStart: now.Add(-24 * time.Hour), CurrentPeriodEnd: now.Add(29 * 24 * time.Hour)},
		Usage:        launchpad.Usage{CycleStart: now.Add(-24 * time.Hour), CycleEnd: now.Add(29 * 24 * time.Hour), MachineSeconds: 3.5 * 3600, MeteredUntil: now},
	}); err != nil {
		w.t.Fatal(err)
	}
	// Sealed after the user exists, as the product does: under the user's key material too.
	sealed, err := envelope.NewSealer(w.keyring, w.store).Seal(ctx, []byte(key.Key), tn.userID)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.store.UpdateUser(ctx, tn.userID, func(u *launchpad.User) error {
		u.OpenRouterKey = sealed
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.CreateTenant(ctx, &launchpad.Tenant{
		AppName: tn.app, UserID: tn.userID, Product: "hermes", Region: "iad", Plan: planPro, Image: agentImage,
		Network: tn.app, MachineID: m.ID, IPv4: tn.ipv4, IPv6: tn.ipv6, KeySource: launchpad.KeySourceSubKey,
		SubKeyHash: tn.keyHash, MachineState: "started",
	}); err != nil {
		w.t.Fatal(err)
	}
	return tn
}

// spendUntilRefused makes completions with the tenant's key on the simulated gateway, over
// HTTP, until the gateway refuses one, and returns that status (402 when the cap is hit).
func (w *world) spendUntilRefused(tn *tenant) int {
	w.t.Helper()
	for i := 0; i < 100; i++ {
		req, _ := http.NewRequest(http.MethodPost, w.or.URL+"/chat/completions",
			strings.NewReader(`{"model":"openrouter/auto","messages":[{"role":"user","content":"hello"}]}`))
		req.Header.Set("Authorization", "Bearer "+tn.key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Sim-Cost-USD", "1.25")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			w.t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return res.StatusCode
		}
	}
	w.t.Fatal("the gateway never refused the key")
	return 0
}

var codePattern = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)

// signInCode is the code of the n-th mail to email.
func (w *world) signInCode(email string, n int) string {
	w.t.Helper()
	m := w.smtp.WaitFor(w.t, email, n, 10*time.Second)
	c := codePattern.FindStringSubmatch(m.Body)
	if c == nil {
		w.t.Fatalf("no code in mail #%d to %s:\n%s", n, email, m.Body)
	}
	return c[1]
}

// artifactDir is <repository>/artifacts/dashboard (git-ignored), where screenshots go.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "artifacts", "dashboard")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}
