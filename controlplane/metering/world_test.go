package metering

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp/smtptest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// The start of the tests' time: the manual clock drives the simulators' machine events, the
// OpenRouter usage windows and the meter alike.
var (
	jan1 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	feb1 = time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC)
	mar1 = time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
)

const (
	planPro    = "pro"
	proHours   = 10
	proSpend   = 5.0
	testOrg    = "personal"
	tenantsImg = "registry.fly.io/hermes:1"
)

// world is everything a metering test runs against: the Fly and OpenRouter simulators on
// one manual clock, the real clients over HTTP, a SQLite store and an SMTP peer.
type world struct {
	t      *testing.T
	clock  *sim.ManualClock
	fly    *simtest.FlyServer
	or     *simtest.OpenRouterServer
	rt     *fly.Client
	keys   *openrouter.Client
	store  *sqlite.DB
	smtp   *smtptest.Server
	mailer *smtp.Mailer
}

func newWorld(t *testing.T, start time.Time) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, clock: sim.NewManualClock(start)}
	// Metering counts hours to the second from machine events on this manual clock, which
	// the tests move by hours: machine changes complete at once here instead of a few hundred
	// milliseconds of clock later (an explicit leniency; the lifecycle flows run on the strict
	// default).
	w.fly = simtest.StartFly(t, sim.FlyOptions{Clock: w.clock, ImmediateTransitions: true})
	w.or = simtest.StartOpenRouter(t, sim.OpenRouterOptions{Clock: w.clock})
	var err error
	if w.rt, err = fly.New(ctx, fly.Config{BaseURL: w.fly.URL, Token: w.fly.Token, Org: testOrg, Timeout: 10 * time.Second,
		Retry: fly.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	if w.keys, err = openrouter.New(openrouter.Config{BaseURL: w.or.URL, ManagementKey: w.or.ManagementKey, Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	w.store, _ = sqlitetest.Open(t, sqlite.Options{Now: w.clock.Now})
	w.smtp = smtptest.Start(t, smtptest.Options{})
	if w.mailer, err = smtp.New(smtp.Config{URL: w.smtp.URL(), From: "Launchpad <launchpad@example.com>", Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := w.store.CreatePlan(ctx, &launchpad.Plan{
		Name: planPro, DisplayName: "Pro", MonthlySpendLimitUSD: proSpend, MachineHoursPerCycle: proHours,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 512}, VolumeSizeGB: 1,
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// meter returns a new Meter on the world (a "replica": Meters share nothing but the store).
func (w *world) meter(logs io.Writer) *Meter {
	w.t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	m, err := New(Deps{
		Store: w.store, Runtime: w.rt, Keys: w.keys, Mailer: w.mailer, Clock: w.clock,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		DashboardURL: "https://launchpad.example.com/",
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// tenant is one provisioned user: their record, app, machine and sub-key.
type tenant struct {
	userID, email, app, machine string
	keyHash, key                string // the sub-key's plaintext, for spending on the gateway
}

// provision creates a user on plan pro (with a subscription period when period is set), an
// app and a started machine on the Fly simulator, and a $5 sub-key on the OpenRouter one.
func (w *world) provision(n int, period *cycle) *tenant {
	w.t.Helper()
	ctx := context.Background()
	tn := &tenant{userID: fmt.Sprintf("user%02d", n), email: fmt.Sprintf("user%02d@example.com", n)}
	tn.app = fmt.Sprintf("lp-hermes-user%02d-t1", n)
	if _, err := w.rt.CreateApp(ctx, launchpad.AppSpec{Name: tn.app, Org: testOrg, Network: tn.app}); err != nil {
		w.t.Fatal(err)
	}
	m, err := w.rt.CreateMachine(ctx, tn.app, launchpad.MachineSpec{Name: "agent", Region: "iad", Image: tenantsImg,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 512}})
	if err != nil {
		w.t.Fatal(err)
	}
	tn.machine = m.ID
	limit := proSpend
	key, err := w.keys.CreateKey(ctx, launchpad.KeySpec{Name: "lp-" + tn.userID, LimitUSD: &limit})
	if err != nil {
		w.t.Fatal(err)
	}
	tn.keyHash, tn.key = key.Info.Hash, key.Key
	u := &launchpad.User{ID: tn.userID, Email: tn.email, Plan: planPro, OpenRouterKeyHash: tn.keyHash}
	if period != nil {
		u.Subscription = launchpad.Subscription{Status: "active", Plan: planPro, CurrentPeriodStart: period.start, CurrentPeriodEnd: period.end}
	}
	if err := w.store.CreateUser(ctx, u); err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.CreateTenant(ctx, &launchpad.Tenant{
		AppName: tn.app, UserID: tn.userID, Product: "hermes", Region: "iad", Plan: planPro, Image: tenantsImg,
		Network: tn.app, MachineID: tn.machine, KeySource: launchpad.KeySourceSubKey, SubKeyHash: tn.keyHash, MachineState: launchpad.MachineStarted,
	}); err != nil {
		w.t.Fatal(err)
	}
	return tn
}

// cappedTenant provisions tenant 1 on pro in January's cycle, meters it, lets its machine run
// 11 hours — past pro's 10-hour cap — and meters again: the cap has stopped it.
func (w *world) cappedTenant() (*tenant, *Meter) {
	w.t.Helper()
	tn := w.provision(1, &cycle{jan1, feb1})
	m := w.meter(nil)
	w.pass(m)
	w.clock.Advance(11 * time.Hour)
	w.pass(m)
	if w.machineState(tn) != "stopped" || w.user(tn).Usage.CappedAt.IsZero() {
		w.t.Fatal("not capped after 11 running hours")
	}
	return tn, m
}

func (w *world) user(tn *tenant) *launchpad.User {
	w.t.Helper()
	u, err := w.store.GetUser(context.Background(), tn.userID)
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

// hours is the user's metered hours.
func (w *world) hours(tn *tenant) float64 { return w.user(tn).Usage.Hours() }

// machineState is the machine's state as the Fly simulator holds it.
func (w *world) machineState(tn *tenant) string {
	w.t.Helper()
	for _, a := range w.fly.Sim.Snapshot().Apps {
		for _, m := range a.Machines {
			if a.Name == tn.app && m.ID == tn.machine {
				return m.State
			}
		}
	}
	w.t.Fatalf("machine %s of %s not in the simulator", tn.machine, tn.app)
	return ""
}

// audit returns the actions of the user's audit stream, oldest first, and checks its chain.
func (w *world) audit(tn *tenant) []*launchpad.AuditEvent {
	w.t.Helper()
	events, err := w.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: tn.userID, Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := launchpad.VerifyChain(nil, events); err != nil {
		w.t.Fatal(err)
	}
	return events
}

// count counts the user's audit events with action.
func (w *world) count(tn *tenant, action string) int {
	n := 0
	for _, e := range w.audit(tn) {
		if e.Action == action {
			n++
		}
	}
	return n
}

func (w *world) pass(m *Meter) {
	w.t.Helper()
	if err := m.RunOnce(context.Background()); err != nil {
		w.t.Fatalf("RunOnce: %v", err)
	}
}

func (w *world) stopMachine(tn *tenant) {
	w.t.Helper()
	if err := w.rt.StopMachine(context.Background(), tn.app, tn.machine); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) startMachine(tn *tenant) {
	w.t.Helper()
	if err := w.rt.StartMachine(context.Background(), tn.app, tn.machine); err != nil {
		w.t.Fatal(err)
	}
}

func approx(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }

// mailsAbout returns the emails to address whose subject holds part (mail order is not
// relied on: each kind of notice is counted on its own).
func (w *world) mailsAbout(address, part string) []*smtptest.Message {
	var out []*smtptest.Message
	for _, m := range w.smtp.Messages() {
		if strings.Contains(m.Header.Get("Subject"), part) && len(m.To) == 1 && strings.EqualFold(m.To[0], address) {
			out = append(out, m)
		}
	}
	return out
}

// Subjects of the metering's notices (package notice's titles).
const (
	capSubject       = "Machine hours used up"
	hoursWarnSubject = "of this cycle's machine hours used"
	suspendSubject   = "a payment is overdue"
	spendSubject     = "Model spend limit reached"
	spendWarnSubject = "of the model spend limit used"
)
