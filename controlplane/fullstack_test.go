package controlplane

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp/smtptest"
)

const (
	stackAdminToken    = "stack-admin-token-0123456789-abcdefghijkl"
	stackWebhookSecret = "whsec_stack_0123456789abcdefghijklmnop"
)

// stack is a whole control plane started through serve's own wiring (loadServeConfig, then
// serve: the store from LAUNCHPAD_STORE, SMTP, the webhook, the processor, the runner and
// the workers) in this process, against the simulators and a real SMTP peer.
type stack struct {
	t     *testing.T
	srv   *Server
	store launchpad.Store // the server's own store
	logs  *stacktest.Output
	fly   *simtest.FlyServer
	or    *simtest.OpenRouterServer
	smtp  *smtptest.Server
	env   map[string]string
	hc    *http.Client
	// stop ends serve and waits for it (the test's cleanup does it too), so a test can read
	// the store's files as they are left.
	stop func()
}

// startStack starts serve with the environment a deployment would give it; env adds to or
// overrides it. With realTofu, applies are real: OpenTofu (tofuPath) runs the binary built
// from this repository as the provider; without, a fake tofu lets the control plane start
// and apply nothing.
func startStack(t *testing.T, realTofu bool, env map[string]string) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{realTofu: realTofu, env: env})
}

// stackOptions are startStack's, and a clock shared by the Fly simulator and the metering
// loop (nil: the wall clock), so a test can move machine time forward.
type stackOptions struct {
	realTofu bool
	env      map[string]string
	clock    sim.Clock
}

func startStackWith(t *testing.T, o stackOptions) *stack {
	t.Helper()
	realTofu, env := o.realTofu, o.env
	tofu, provider := fakeTofu(t), ""
	if realTofu {
		tofu, provider = stacktest.Tofu(t), launchpadBinary.Path(t)
	}
	s := &stack{
		t:    t,
		fly:  simtest.StartFly(t, sim.FlyOptions{Clock: o.clock}),
		or:   simtest.StartOpenRouter(t, sim.OpenRouterOptions{}),
		smtp: smtptest.Start(t, smtptest.Options{}),
		logs: &stacktest.Output{},
		hc:   &http.Client{Timeout: time.Minute},
	}
	dir := t.TempDir()
	s.env = map[string]string{
		"PLATFORM_SECRET":           testSecret,
		"LAUNCHPAD_ADDR":            "127.0.0.1:0",
		"LAUNCHPAD_STORE":           "sqlite://" + filepath.Join(dir, "launchpad.db"),
		"LAUNCHPAD_SMTP_URL":        s.smtp.URL(),
		"LAUNCHPAD_MAIL_FROM":       "Launchpad <launchpad@example.com>",
		"LAUNCHPAD_ADMIN_TOKEN":     stackAdminToken,
		"STRIPE_WEBHOOK_SECRET":     stackWebhookSecret,
		"LAUNCHPAD_TOFU":            tofu,
		"LAUNCHPAD_DATA_DIR":        filepath.Join(dir, "data"),
		"LAUNCHPAD_WORKERS":         "2",
		"FLY_API_TOKEN":             s.fly.Token,
		"FLY_ORG":                   "acme",
		"FLY_FLAPS_BASE_URL":        s.fly.URL,
		"OPENROUTER_MANAGEMENT_KEY": s.or.ManagementKey,
		"OPENROUTER_API_URL":        s.or.URL,
	}
	for k, v := range env {
		s.env[k] = v
	}
	cfg, err := loadServeConfig(nil, func(k string) string { return s.env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("serve's configuration: %v", err)
	}
	// The runner's default provider is os.Executable, which in a test binary is the test.
	cfg.workers.Runner.ProviderBinary = provider
	cfg.workers.Queue.Poll = 100 * time.Millisecond // the default second only slows the test down
	cfg.workers.RolloutStepEvery = 200 * time.Millisecond
	if cfg.metering != nil && o.clock != nil {
		cfg.metering.Clock = o.clock
	}

	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan *Server, 1)
	exited := make(chan int, 1)
	go func() { exited <- serve(ctx, cfg, s.logs, func(srv *Server) { listening <- srv }) }()
	select {
	case s.srv = <-listening:
	case code := <-exited:
		cancel()
		t.Fatalf("serve exited %d before listening:\n%s", code, s.logs.String())
	case <-time.After(time.Minute):
		cancel()
		t.Fatalf("serve did not listen within a minute:\n%s", s.logs.String())
	}
	s.store = s.srv.store
	var stopOnce sync.Once
	s.stop = func() {
		stopOnce.Do(func() {
			cancel()
			if code := <-exited; code != 0 {
				t.Errorf("serve exited %d after its context ended", code)
			}
		})
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("serve's log:\n%s", s.logs.String())
		}
	})
	return s
}

func (s *stack) url(path string) string { return s.srv.URL() + path }

// do sends a request and reads the whole answer.
func (s *stack) do(method, path, token string, header map[string]string, body []byte) *response {
	s.t.Helper()
	r, err := exchange(s.hc, s.srv.URL(), method, path, token, header, body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (s *stack) admin(method, path string) *response {
	s.t.Helper()
	return s.do(method, path, stackAdminToken, nil, nil)
}

// webhook posts a Stripe delivery with the given signature header.
func (s *stack) webhook(payload []byte, signature string) *response {
	s.t.Helper()
	h := map[string]string{"Content-Type": "application/json; charset=utf-8"}
	if signature != "" {
		h["Stripe-Signature"] = signature
	}
	return s.do(http.MethodPost, "/api/stripe/webhook", "", h, payload)
}

// deliver signs payload now with the endpoint's secret and posts it; it fails the test
// unless Stripe would count it delivered. It reports whether it was a duplicate.
func (s *stack) deliver(payload []byte) (duplicate bool) {
	s.t.Helper()
	r := s.webhook(payload, billingtest.Sign(payload, stackWebhookSecret, time.Now()))
	mustStatus(s.t, r, http.StatusOK)
	var body struct{ Received, Duplicate bool }
	r.decode(s.t, &body)
	if !body.Received {
		s.t.Fatalf("delivery not received: %s", r.body)
	}
	return body.Duplicate
}

// jobs lists jobs through GET /api/admin/jobs with the query q.
func (s *stack) jobs(q string) []JobJSON {
	s.t.Helper()
	r := s.admin(http.MethodGet, "/api/admin/jobs?"+q)
	mustStatus(s.t, r, http.StatusOK)
	var l JobList
	r.decode(s.t, &l)
	return l.Jobs
}

// applies lists the user's apply jobs, newest first, through the admin API.
func (s *stack) applies(userID string) []JobJSON {
	return s.jobs("kind=apply&user_id=" + userID)
}

func succeeded(jobs []JobJSON) []JobJSON {
	var out []JobJSON
	for _, j := range jobs {
		if j.Status == launchpad.JobSucceeded {
			out = append(out, j)
		}
	}
	return out
}

// signIn signs email in through the API with the code mailed to the SMTP peer and returns
// the access token.
func (s *stack) signIn(email string) string {
	s.t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	seen := s.smtp.Count(email) // before asking: the mail may arrive before the answer
	mustStatus(s.t, s.do(http.MethodPost, "/api/auth/send-verification", "", h, []byte(`{"email":"`+email+`"}`)), http.StatusAccepted)
	m := s.smtp.WaitFor(s.t, email, seen+1, 30*time.Second)
	code := codeInMail.FindStringSubmatch(m.Body)
	if code == nil {
		s.t.Fatalf("no code in %q", m.Body)
	}
	r := s.do(http.MethodPost, "/api/auth/verify", "", h, []byte(`{"email":"`+email+`","code":"`+code[1]+`"}`))
	mustStatus(s.t, r, http.StatusOK)
	var tok TokenResponse
	r.decode(s.t, &tok)
	return tok.AccessToken
}

func (s *stack) me(token string) *MeResponse {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/me", token, nil, nil)
	mustStatus(s.t, r, http.StatusOK)
	var me MeResponse
	r.decode(s.t, &me)
	return &me
}

// startFleet starts the stack with real tofu (env as startStack's) and stores the two plans
// of examples/fleet, as the tests that provision tenants need.
func startFleet(t *testing.T, env map[string]string) *stack {
	t.Helper()
	s := startStack(t, true, env)
	createPlans(t, s.store)
	return s
}

// createPlans stores the two plans of examples/fleet.
func createPlans(t *testing.T, st launchpad.Store) {
	t.Helper()
	for _, p := range []*launchpad.Plan{
		{Name: "starter", StripePriceID: "price_StarterMonthly", MonthlySpendLimitUSD: 10, MachineHoursPerCycle: 100, VolumeSizeGB: 5,
			Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}},
		{Name: "pro", StripePriceID: "price_ProMonthly", MonthlySpendLimitUSD: 50, MachineHoursPerCycle: 400, VolumeSizeGB: 20,
			Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}},
	} {
		if err := st.CreatePlan(t.Context(), p); err != nil {
			t.Fatalf("CreatePlan(%s): %v", p.Name, err)
		}
	}
}

// liveMachines returns the apps on the Fly simulator with their machines that are not
// destroyed.
func liveMachines(fly *simtest.FlyServer) map[string][]sim.MachineSnapshot {
	out := map[string][]sim.MachineSnapshot{}
	for _, a := range fly.Sim.Snapshot().Apps {
		out[a.Name] = nil
		for _, m := range a.Machines {
			if m.State != "destroyed" {
				out[a.Name] = append(out[a.Name], m)
			}
		}
	}
	return out
}

// liveKeyLimits returns the limits of the OpenRouter keys that are not disabled.
func liveKeyLimits(or *simtest.OpenRouterServer) []float64 {
	var out []float64
	for _, k := range or.Sim.Snapshot().Keys {
		if !k.Disabled && k.Limit != nil {
			out = append(out, *k.Limit)
		}
	}
	return out
}

// tenantIs reports whether the simulators hold exactly one app with one live machine of
// cpus and memoryMB, and exactly one live key of limit; it returns the app's name.
func tenantIs(fly *simtest.FlyServer, or *simtest.OpenRouterServer, cpus, memoryMB int, limit float64) (string, bool) {
	apps := liveMachines(fly)
	keys := liveKeyLimits(or)
	if len(apps) != 1 || len(keys) != 1 || keys[0] != limit {
		return "", false
	}
	for name, ms := range apps {
		if len(ms) == 1 && ms[0].Guest.CPUs == cpus && ms[0].Guest.MemoryMB == memoryMB {
			return name, true
		}
	}
	return "", false
}

func mustJSON(t *testing.T, data string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(data), v); err != nil {
		t.Fatalf("%q is not the JSON expected: %v", data, err)
	}
}
