package controlplane

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// host is a machine that runs `terraform-provider-launchpad serve` as real processes, one
// after the other, on one store (a SQLite file, or a PostgreSQL schema) and one data
// directory, against the simulators.
type host struct {
	t       *testing.T
	binary  string
	env     []string
	dataDir string
	store   launchpad.Store // the test's own handle on the shared store
	fly     *simtest.FlyServer
	or      *simtest.OpenRouterServer
	runs    int
}

func newHost(t *testing.T, extra map[string]string) *host {
	t.Helper()
	return newHostOn(t, "", extra)
}

// newHostOn is newHost on the store storeURL names ("": a SQLite file of its own).
func newHostOn(t *testing.T, storeURL string, extra map[string]string) *host {
	t.Helper()
	tofu := stacktest.Tofu(t)
	h := &host{t: t, binary: launchpadBinary.Path(t), fly: simtest.StartFly(t, sim.FlyOptions{}), or: simtest.StartOpenRouter(t, sim.OpenRouterOptions{})}
	dir := t.TempDir()
	h.dataDir = filepath.Join(dir, "data")
	if storeURL == "" {
		storeURL = "sqlite://" + filepath.Join(dir, "launchpad.db")
	}
	env := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"),
		"PLATFORM_SECRET":           testSecret,
		"LAUNCHPAD_ADDR":            "127.0.0.1:0",
		"LAUNCHPAD_STORE":           storeURL,
		"LAUNCHPAD_ADMIN_TOKEN":     stackAdminToken,
		"STRIPE_WEBHOOK_SECRET":     stackWebhookSecret,
		"LAUNCHPAD_SMTP_URL":        smtp.LogURL,
		"LAUNCHPAD_TOFU":            tofu,
		"LAUNCHPAD_DATA_DIR":        h.dataDir,
		"LAUNCHPAD_WORKERS":         "1",
		"FLY_API_TOKEN":             h.fly.Token,
		"FLY_ORG":                   "acme",
		"FLY_FLAPS_BASE_URL":        h.fly.URL,
		"OPENROUTER_MANAGEMENT_KEY": h.or.ManagementKey,
		"OPENROUTER_API_URL":        h.or.URL,
	}
	for k, v := range extra {
		env[k] = v
	}
	for k, v := range env {
		h.env = append(h.env, k+"="+v)
	}
	var err error
	if h.store, err = store.Open(t.Context(), storeURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	createPlans(t, h.store)
	return h
}

// serveProc is one `serve` process.
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	log    string // its log file
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// start runs `serve` and waits until it listens.
func (h *host) start() *serveProc {
	h.t.Helper()
	return h.startWith()
}

// startReplica runs one more `serve` beside those running, on the same store, with a data
// directory of its own (another machine's disk), and waits until it listens.
func (h *host) startReplica() *serveProc {
	h.t.Helper()
	return h.startWith("LAUNCHPAD_DATA_DIR=" + filepath.Join(h.t.TempDir(), "data"))
}

// startWith is start with env ("NAME=value") added to, and overriding, the host's.
func (h *host) startWith(env ...string) *serveProc {
	h.t.Helper()
	h.runs++
	run := h.runs
	p := &serveProc{log: filepath.Join(h.t.TempDir(), fmt.Sprintf("serve-%d.log", run)), exited: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		h.t.Fatal(err)
	}
	p.cmd = exec.Command(h.binary, "serve")
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = append(slices.Clone(h.env), env...), f, f
	if err := p.cmd.Start(); err != nil {
		h.t.Fatalf("start serve: %v", err)
	}
	f.Close()
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	h.t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if h.t.Failed() {
			b, _ := os.ReadFile(p.log)
			h.t.Logf("log of serve #%d (pid %d):\n%s", run, p.cmd.Process.Pid, b)
		}
	})
	waitFor(h.t, "serve to listen", time.Minute, func() bool {
		b, _ := os.ReadFile(p.log)
		select {
		case <-p.exited:
			h.t.Fatalf("serve exited (%v) before listening:\n%s", p.err, b)
		default:
		}
		if addr := listeningAddr(b); addr != "" {
			p.url = "http://" + addr
		}
		return p.url != ""
	})
	return p
}

// deliver signs and posts a Stripe event to a running serve.
func (h *host) deliver(p *serveProc, payload []byte) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.url+"/api/stripe/webhook", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", billingtest.Sign(payload, stackWebhookSecret, time.Now()))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		h.t.Fatalf("webhook answered %d", res.StatusCode)
	}
}

// checkout makes user a starter customer. With slow, the Fly simulator is slowed down so the
// tenant's creation takes a while.
func (h *host) checkout(p *serveProc, user string, slow bool) *launchpad.Job {
	h.t.Helper()
	if err := h.store.CreateUser(h.t.Context(), &launchpad.User{ID: user, Email: user + "@example.com", Plan: launchpad.TrialPlan}); err != nil {
		h.t.Fatal(err)
	}
	if slow {
		h.fly.Sim.SetFaults(sim.Faults{Latency: 400 * time.Millisecond})
	}
	h.subscribe(p, user)
	return h.applyLogging(user, 1, "launchpad_tenant.this: Creating...")
}

// subscribe delivers the checkout and the new starter subscription of user (customer
// "cus_"+user, subscription "sub_"+user).
func (h *host) subscribe(p *serveProc, user string) {
	h.t.Helper()
	now := time.Now()
	customer, sub := "cus_"+user, "sub_"+user
	h.deliver(p, billingtest.CheckoutCompleted("evt_checkout_"+user, now, billingtest.Checkout{ID: "cs_" + user, Customer: customer, UserID: user, Email: user + "@example.com", Subscription: sub}).Body)
	h.deliver(p, billingtest.SubscriptionCreated("evt_created_"+user, now, billingtest.Subscription{ID: sub, Customer: customer, Status: "active", Price: "price_StarterMonthly", PeriodStart: now.Truncate(24 * time.Hour)}).Body)
}

// applyLogging waits for the user's n-th apply job to log want, and returns it.
func (h *host) applyLogging(user string, n int, want string) *launchpad.Job {
	h.t.Helper()
	var job *launchpad.Job
	waitFor(h.t, fmt.Sprintf("apply #%d of %s to log %q", n, user, want), 2*time.Minute, func() bool {
		js, _ := h.store.ListJobs(h.t.Context(), launchpad.JobFilter{Kind: launchpad.JobApply, Key: user})
		if len(js) != n {
			return false
		}
		job = js[0]
		log, _ := h.store.ReadJobLog(h.t.Context(), job.ID, 0)
		return bytes.Contains(log, []byte(want))
	})
	return job
}

// converged checks that the user's tenant runs at the plan's size, is the one the store
// records, and that the saved state holds it and its key. Apps that an interrupted create
// left behind, known to neither the state nor the store, are reported.
func (h *host) converged(user string, cpus, memoryMB int, limit float64) {
	h.t.Helper()
	tenants, err := h.store.ListTenants(h.t.Context(), launchpad.TenantFilter{UserID: user})
	if err != nil || len(tenants) != 1 {
		h.t.Fatalf("tenant records of %s: %d (%v); want 1", user, len(tenants), err)
	}
	apps := liveMachines(h.fly)
	ms, ok := apps[tenants[0].AppName]
	if !ok || len(ms) != 1 || ms[0].Guest.CPUs != cpus || ms[0].Guest.MemoryMB != memoryMB {
		h.t.Fatalf("the tenant's app %s on the simulator: %+v; want one machine of %d CPUs and %d MB", tenants[0].AppName, ms, cpus, memoryMB)
	}
	for name := range apps {
		if name != tenants[0].AppName {
			h.t.Logf("NOTE: app %s, created by the interrupted run and recorded nowhere, is left on the simulator (the provider's to adopt or clean up)", name)
		}
	}
	if keys := liveKeyLimits(h.or); len(keys) != 1 || keys[0] != limit {
		h.t.Fatalf("live OpenRouter keys with limits %v; want one of %g", keys, limit)
	}
	st, err := h.store.GetState(h.t.Context(), user)
	if err != nil || !bytes.Contains(st.Data, []byte(`"launchpad_tenant"`)) || !bytes.Contains(st.Data, []byte(`"launchpad_subkey"`)) ||
		!bytes.Contains(st.Data, []byte(tenants[0].AppName)) {
		h.t.Fatalf("the saved state (%v) does not hold the tenant %s and its key", err, tenants[0].AppName)
	}
}

// survivors lists the processes still running in the user's work directory (tofu and the
// provider it started).
func (h *host) survivors(user string) []string {
	dir := filepath.Join(h.dataDir, "workspaces", user)
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && cwd == dir {
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// TestServeDrainsRunningAppliesOnSIGTERM stops `serve` with SIGTERM in the middle of an
// apply: it stops taking jobs, gives the apply LAUNCHPAD_JOB_SHUTDOWN_GRACE, then interrupts
// tofu, saves the state, puts the job back in the queue and exits 0. The next serve finishes
// the job.
func TestServeDrainsRunningAppliesOnSIGTERM(t *testing.T) {
	h := newHost(t, map[string]string{"LAUNCHPAD_JOB_SHUTDOWN_GRACE": "1s", "LAUNCHPAD_APPLY_CANCEL_GRACE": "30s"})
	const user = "dora01"
	a := h.start()
	job := h.checkout(a, user, true)

	stopped := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.exited:
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not exit within 2 minutes of SIGTERM")
	}
	if a.err != nil {
		t.Fatalf("serve exited with %v after SIGTERM; want 0", a.err)
	}
	t.Logf("MEASURED SIGTERM to exit with an apply running (grace 1s): %s", time.Since(stopped).Round(time.Millisecond))
	logs, _ := os.ReadFile(a.log)
	for _, want := range []string{"shutting down", "shutdown grace period over; cancelling running jobs", "job failed; retrying", `"msg":"stopped"`} {
		if !bytes.Contains(logs, []byte(want)) {
			t.Errorf("serve's log lacks %q", want)
		}
	}
	j, err := h.store.GetJob(t.Context(), job.ID)
	if err != nil || j.Status != launchpad.JobQueued || j.Attempts != 1 {
		t.Fatalf("after the drain the job is %+v (%v); want queued again after 1 attempt", j, err)
	}
	log, _ := h.store.ReadJobLog(t.Context(), job.ID, 0)
	if !bytes.Contains(log, []byte("Interrupt received")) || !bytes.Contains(log, []byte("state saved")) {
		t.Fatalf("the interrupted apply did not stop tofu gracefully and save the state:\n%s", log)
	}
	if ps := h.survivors(user); len(ps) > 0 {
		t.Fatalf("processes outlived serve: %v", ps)
	}

	h.fly.Sim.SetFaults(sim.Faults{})
	b := h.start()
	waitFor(t, "the next serve to finish the job", 3*time.Minute, func() bool {
		j, err := h.store.GetJob(t.Context(), job.ID)
		return err == nil && j.Status == launchpad.JobSucceeded
	})
	h.converged(user, 1, 1024, 10)
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-b.exited
	if b.err != nil {
		t.Fatalf("an idle serve exited with %v after SIGTERM", b.err)
	}
}

// TestServeKilledMidApplyIsReclaimed kills `serve` with SIGKILL while tofu resizes a tenant
// (an upgrade): the dead process records nothing more and its job stays leased to it. A new
// serve reclaims the job once the lease (LAUNCHPAD_JOB_LEASE) runs out and converges the
// tenant on the new plan, saving the state.
//
// The kill lands in an update, not in the tenant's creation: a create killed after the
// provider recorded the sub-key but before tofu wrote its state does not converge today (the
// provider refuses to create a second sub-key and asks for an import); that is the
// provider's to fix, and reported.
func TestServeKilledMidApplyIsReclaimed(t *testing.T) { testServeKilledMidApply(t, "") }

// TestServeKilledMidApplyIsReclaimedPostgres is the same crash on the PostgreSQL store, on a
// server the test starts (internal/postgres/pgtest).
func TestServeKilledMidApplyIsReclaimedPostgres(t *testing.T) {
	testServeKilledMidApply(t, pgtest.Schema(t, pgtest.ForTest(t)))
}

func testServeKilledMidApply(t *testing.T, storeURL string) {
	const lease = 10 * time.Second
	h := newHostOn(t, storeURL, map[string]string{"LAUNCHPAD_JOB_LEASE": lease.String()})
	const user = "eve01"
	a := h.start()
	created := h.checkout(a, user, false)
	waitFor(t, "the starter tenant", 2*time.Minute, func() bool {
		j, err := h.store.GetJob(t.Context(), created.ID)
		return err == nil && j.Status == launchpad.JobSucceeded
	})
	h.fly.Sim.SetFaults(sim.Faults{Latency: 400 * time.Millisecond})
	later := time.Now().Add(time.Second)
	h.deliver(a, billingtest.SubscriptionUpdated("evt_upgrade", later, billingtest.Subscription{ID: "sub_" + user, Customer: "cus_" + user, Status: "active", Price: "price_ProMonthly", PeriodStart: later.Truncate(24 * time.Hour)}).Body)
	job := h.applyLogging(user, 2, "launchpad_tenant.this: Modifying...")

	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	killed := time.Now()
	j, err := h.store.GetJob(t.Context(), job.ID)
	if err != nil || j.Status != launchpad.JobRunning || j.Attempts != 1 || !strings.Contains(j.LeaseOwner, fmt.Sprintf("-%d-", a.cmd.Process.Pid)) {
		t.Fatalf("after the kill the job is %+v (%v); want still running, leased to the dead serve (pid %d)", j, err, a.cmd.Process.Pid)
	}
	// tofu is started with Pdeathsig (terraform-exec), so it dies with serve; the provider
	// it started goes when tofu does.
	waitFor(t, "tofu and the provider to die with serve", 30*time.Second, func() bool { return len(h.survivors(user)) == 0 })

	h.fly.Sim.SetFaults(sim.Faults{})
	b := h.start()
	var done *launchpad.Job
	took := waitFor(t, "the new serve to reclaim and finish the job", 3*time.Minute, func() bool {
		done, err = h.store.GetJob(t.Context(), job.ID)
		return err == nil && done.Status == launchpad.JobSucceeded
	})
	t.Logf("MEASURED start of the new serve to the reclaimed job done (lease %s): %s", lease, took.Round(time.Millisecond))
	if done.Attempts != 2 || !strings.Contains(done.LeaseOwner, fmt.Sprintf("-%d-", b.cmd.Process.Pid)) {
		t.Fatalf("the reclaimed job %+v; want attempt 2 by the new serve (pid %d)", done, b.cmd.Process.Pid)
	}
	if done.StartedAt.Before(j.LeaseExpiresAt) {
		t.Fatalf("the job was restarted at %s, before the dead serve's lease ran out at %s", done.StartedAt, j.LeaseExpiresAt)
	}
	t.Logf("the dead serve's lease ran out %s after the kill; the job restarted %s after it", j.LeaseExpiresAt.Sub(killed).Round(time.Millisecond), done.StartedAt.Sub(j.LeaseExpiresAt).Round(time.Millisecond))
	log, _ := h.store.ReadJobLog(t.Context(), job.ID, 0)
	if !bytes.Contains(log, []byte("(attempt 2)")) {
		t.Fatalf("the job log does not show the second attempt:\n%s", log)
	}
	h.converged(user, 2, 4096, 50)
}
