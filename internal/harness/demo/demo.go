package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
)

// options are the demo's flags.
type options struct {
	stack.Tools
	retention, timeout time.Duration
	keep               bool
}

// demo is one run: its working directory, its processes and what it has learnt.
type demo struct {
	o       options
	out     io.Writer
	work    string
	start   time.Time
	secrets struct{ platform, admin, webhook string }
	sandbox *stack.Sandbox
	serve   *stack.Serve
	api     *stack.Client
	plans   map[string]stack.Plan // by stripe price id
	stripe  *stripeSim
}

// run is the whole demo. It returns the first failure; its processes are stopped either way.
func run(ctx context.Context, o options, out io.Writer) (err error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	d := &demo{o: o, out: out, start: time.Now()}
	if err := d.o.Resolve(); err != nil {
		return err
	}
	if d.work, err = os.MkdirTemp("", "launchpad-demo-"); err != nil {
		return err
	}
	defer func() {
		switch {
		case err != nil:
			fmt.Fprintf(out, "\nThe logs, the store and the workspaces are kept in %s\n", d.work)
		case o.keep:
			fmt.Fprintf(out, "Kept %s (logs, store, workspaces).\n", d.work)
		default:
			os.RemoveAll(d.work)
		}
	}()
	defer d.stopAll()
	d.secrets.platform, d.secrets.admin, d.secrets.webhook = stack.RandomHex(32), stack.RandomHex(32), "whsec_"+stack.RandomHex(24)

	fmt.Fprintf(out, "Launchpad demo: a customer pays, upgrades and cancels; a tenant is created, resized and torn down.\n")
	fmt.Fprintf(out, "Everything runs on loopback; working directory %s\n", d.work)
	steps := []struct {
		title string
		fn    func(context.Context) error
	}{
		{"sandbox: the Fly Machines and OpenRouter keys API simulators", d.startSandbox},
		{"plans: tofu apply of examples/fleet's launchpad_plan resources", d.applyPlans},
		{"serve: the control plane with its apply workers", d.startServe},
		{"sign-in: a customer signs in with a code from the (log) mailer", nil},
		{"checkout: Stripe says the customer paid for starter", nil},
		{"upgrade: Stripe says the subscription moved to pro", nil},
		{"cancellation: Stripe says the subscription ended", nil},
	}
	var user userSession
	steps[3].fn = func(ctx context.Context) (err error) { user, err = d.signIn(ctx, "ada@example.com"); return err }
	steps[4].fn = func(ctx context.Context) error { return d.checkout(ctx, user) }
	steps[5].fn = func(ctx context.Context) error { return d.upgrade(ctx, user) }
	steps[6].fn = func(ctx context.Context) error { return d.cancel(ctx, user) }
	for i, s := range steps {
		fmt.Fprintf(out, "\n%d. %s\n", i+1, s.title)
		if err := s.fn(ctx); err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
			}
			return fmt.Errorf("step %d (%s): %w", i+1, strings.SplitN(s.title, ":", 2)[0], err)
		}
	}
	fmt.Fprintf(out, "\nDone in %s: created, resized in place and torn down by real tofu applies of this provider.\n", time.Since(d.start).Round(time.Second))
	return nil
}

// stopAll stops serve (which drains its workers) and then the sandbox, and says how each
// went.
func (d *demo) stopAll() {
	var serve *stack.Proc
	if d.serve != nil {
		serve = d.serve.Proc
	}
	for _, p := range []struct {
		p     *stack.Proc
		grace time.Duration
	}{{serve, 90 * time.Second}, {d.sandbox.ProcOrNil(), 10 * time.Second}} {
		if p.p == nil {
			continue
		}
		if err := p.p.Stop(p.grace); err != nil {
			fmt.Fprintf(d.out, "stopped %s (pid %d): %v (log: %s)\n", p.p.Name, p.p.Pid(), err, p.p.Log)
		} else {
			fmt.Fprintf(d.out, "stopped %s (pid %d)\n", p.p.Name, p.p.Pid())
		}
	}
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "   "+format+"\n", args...)
}

func (d *demo) startSandbox(ctx context.Context) (err error) {
	if d.sandbox, err = stack.StartSandbox(ctx, d.o.Binary, d.work, "sandbox", stack.BaseEnv()); err != nil {
		return err
	}
	d.say("started sandbox, pid %d", d.sandbox.Pid())
	d.say("Fly Machines API     %s", d.sandbox.Env["FLY_FLAPS_BASE_URL"])
	d.say("OpenRouter keys API  %s", d.sandbox.Env["OPENROUTER_API_URL"])
	return nil
}

// providerEnv is the provider's configuration: the store, the platform secret and the
// simulators.
func (d *demo) providerEnv() map[string]string {
	env := stack.BaseEnv()
	for _, k := range stack.SandboxVars {
		env[k] = d.sandbox.Env[k]
	}
	env["FLY_ORG"] = "launchpad-demo"
	env["LAUNCHPAD_STORE"] = "sqlite://" + filepath.Join(d.work, "launchpad.db")
	env["PLATFORM_SECRET"] = d.secrets.platform
	return env
}

// applyPlans runs `tofu apply` on a copy of the fleet configuration, targeting its two
// launchpad_plan resources, with the provider resolved to the built binary (dev_overrides),
// and reads the plans back from tofu's state.
func (d *demo) applyPlans(ctx context.Context) error {
	logPath := filepath.Join(d.work, "plans.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	d.say("tofu apply -target=launchpad_plan.starter -target=launchpad_plan.pro   (in a copy of %s)", relative(d.o.Fleet))
	t := stack.Tofu{Tofu: d.o.Tofu, Binary: d.o.Binary, Dir: filepath.Join(d.work, "plans"), Env: d.providerEnv(), Log: logFile}
	plans, summary, err := stack.ApplyPlans(ctx, t, d.o.Fleet)
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, logPath)
	}
	if summary != "" {
		d.say("%s", summary)
	}
	d.plans = plans
	for _, price := range []string{priceStarter, pricePro} {
		p, ok := d.plans[price]
		if !ok {
			return fmt.Errorf("no launchpad_plan with stripe_price_id %s in %s; the demo sells that price", price, relative(d.o.Fleet))
		}
		d.say("plan %-8s %s: %d %s CPU, %d MB, %d GB volume, key limit $%g a month, %d machine hours a cycle",
			p.Name, p.Price, p.CPUs, p.CPUKind, p.Memory, p.VolumeGB, p.LimitUSD, p.HoursPerCycle)
	}
	return nil
}

// The Stripe prices the demo's customer buys: the fleet's plans carry them.
const (
	priceStarter = "price_StarterMonthly"
	pricePro     = "price_ProMonthly"
)

func (d *demo) startServe(ctx context.Context) (err error) {
	env := d.providerEnv()
	for k, v := range map[string]string{
		"LAUNCHPAD_ADDR":             "127.0.0.1:0",
		"LAUNCHPAD_LOG_FORMAT":       "json",
		"LAUNCHPAD_SMTP_URL":         smtp.LogURL, // the demo reads the sign-in code from serve's log
		"LAUNCHPAD_ADMIN_TOKEN":      d.secrets.admin,
		"STRIPE_WEBHOOK_SECRET":      d.secrets.webhook,
		"LAUNCHPAD_VOLUME_RETENTION": d.o.retention.String(),
		"LAUNCHPAD_TOFU":             d.o.Tofu,
		"LAUNCHPAD_DATA_DIR":         filepath.Join(d.work, "data"),
	} {
		env[k] = v
	}
	if d.serve, err = stack.StartServe(ctx, d.o.Binary, env, filepath.Join(d.work, "serve.log")); err != nil {
		return err
	}
	d.api = &stack.Client{URL: d.serve.URL, AdminToken: d.secrets.admin, HC: &http.Client{Timeout: 30 * time.Second}}
	d.say("started serve, pid %d: %s, %d apply workers, SQLite store, volume retention %s", d.serve.Pid(), d.api.URL, d.serve.Workers, d.o.retention)
	d.say("generated for this run: PLATFORM_SECRET, LAUNCHPAD_ADMIN_TOKEN, STRIPE_WEBHOOK_SECRET")
	d.stripe = newStripeSim(time.Now())
	return nil
}

// userSession is the signed-in customer.
type userSession struct {
	id, email, token string
}

var signInCode = regexp.MustCompile(`\b(\d{6})\b`)

func (d *demo) signIn(ctx context.Context, email string) (userSession, error) {
	u := userSession{email: email}
	body, _ := json.Marshal(map[string]string{"email": email})
	if err := d.api.Call(ctx, http.MethodPost, "/api/auth/send-verification", "", nil, body, nil); err != nil {
		return u, fmt.Errorf("send-verification: %w", err)
	}
	var code string
	if err := stack.WaitLog(ctx, d.serve.Proc, func(rec stack.LogRecord) bool {
		if m := signInCode.FindStringSubmatch(rec.Text); rec.To == email && m != nil {
			code = m[1]
		}
		return code != ""
	}); err != nil {
		return u, err
	}
	body, _ = json.Marshal(map[string]string{"email": email, "code": code})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := d.api.Call(ctx, http.MethodPost, "/api/auth/verify", "", nil, body, &tok); err != nil {
		return u, fmt.Errorf("verify: %w", err)
	}
	u.token = tok.AccessToken
	var m stack.Me
	if err := d.api.Call(ctx, http.MethodGet, "/api/me", u.token, nil, nil, &m); err != nil {
		return u, fmt.Errorf("/api/me: %w", err)
	}
	u.id = m.User.ID
	d.say("%s signed in with the code the log mailer wrote to serve's log: user %s, plan %s, subscription %s",
		email, u.id, m.User.Plan, m.Subscription.Status)
	return u, nil
}

// send delivers Stripe events and says so.
func (d *demo) send(ctx context.Context, evs ...billingtest.Event) error {
	for _, ev := range evs {
		dup, err := d.api.Deliver(ctx, ev, d.secrets.webhook)
		if err != nil {
			return err
		}
		if dup {
			return fmt.Errorf("event %s was taken for a duplicate", ev.ID)
		}
		d.say("→ POST /api/stripe/webhook  %-34s %s  200 (recorded, processed in the background)", ev.Type, ev.ID)
	}
	return nil
}

// awaitApply waits for the user's n-th apply job, follows its log as it runs (showing tofu's
// resource lines) and returns it once it succeeded.
func (d *demo) awaitApply(ctx context.Context, u userSession, n int, waiting string) (stack.Job, error) {
	var newest stack.Job
	said := false
	for {
		js, err := d.api.Applies(ctx, u.id)
		if err != nil {
			return stack.Job{}, err
		}
		if len(js) >= n {
			newest = js[0]
			break
		}
		if !said && waiting != "" {
			d.say("%s", waiting)
			said = true
		}
		select {
		case <-ctx.Done():
			return stack.Job{}, fmt.Errorf("apply job #%d of user %s never appeared: %w", n, u.id, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	d.say("apply job %s (%s) — GET /api/admin/jobs/%s/log, as it runs:", newest.ID, newest.What(), newest.ID)
	done, err := d.api.Follow(ctx, newest.ID, func(l string) {
		if interesting(l) {
			d.say("  │ %s", l)
		}
	})
	if err != nil {
		return stack.Job{}, err
	}
	took := ""
	if done.DurationMS != nil {
		took = " in " + (time.Duration(*done.DurationMS) * time.Millisecond).Round(100*time.Millisecond).String()
	}
	d.say("job %s %s%s after %d attempt(s) — plan summary from GET /api/admin/jobs: %d to add, %d to change, %d to destroy",
		done.ID, done.Status, took, done.Attempts, done.Summary.Add, done.Summary.Change, done.Summary.Destroy)
	if done.Status != "succeeded" {
		return done, fmt.Errorf("apply job %s %s: %s", done.ID, done.Status, done.Error)
	}
	return done, nil
}

// interesting picks tofu's resource progress lines and the runner's own lines from a log.
func interesting(l string) bool {
	for _, s := range []string{": Creating...", ": Creation complete", ": Modifying...", ": Modifications complete",
		": Destroying...", ": Destruction complete", "Apply complete!", "Error:", "apply job ", "no changes"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (d *demo) checkout(ctx context.Context, u userSession) error {
	starter := d.plans[priceStarter]
	if err := d.send(ctx, d.stripe.checkout(u.id, u.email), d.stripe.subscription(billingtest.SubscriptionCreated, "active", starter.Price)); err != nil {
		return err
	}
	j, err := d.awaitApply(ctx, u, 1, "")
	if err != nil {
		return err
	}
	if j.Summary.Add != 2 || j.Summary.Change != 0 || j.Summary.Destroy != 0 {
		return fmt.Errorf("the create planned %+v; want the tenant and its key added", j.Summary)
	}
	t, err := d.tenantOn(ctx, starter)
	if err != nil {
		return err
	}
	d.describe(t)
	return d.checkMe(ctx, u, t.app, starter.Name)
}

func (d *demo) upgrade(ctx context.Context, u userSession) error {
	before, err := d.tenantOn(ctx, d.plans[priceStarter])
	if err != nil {
		return err
	}
	pro := d.plans[pricePro]
	if err := d.send(ctx, d.stripe.subscription(billingtest.SubscriptionUpdated, "active", pro.Price)); err != nil {
		return err
	}
	j, err := d.awaitApply(ctx, u, 2, "")
	if err != nil {
		return err
	}
	if j.Summary.Add != 0 || j.Summary.Destroy != 0 || j.Summary.Change == 0 {
		return fmt.Errorf("the upgrade planned %+v; want in-place changes only", j.Summary)
	}
	t, err := d.tenantOn(ctx, pro)
	if err != nil {
		return err
	}
	if t.app != before.app || t.key.Hash != before.key.Hash || t.volumes[0].ID != before.volumes[0].ID {
		return fmt.Errorf("the upgrade replaced something: app %s→%s, key %s→%s, volume %s→%s", before.app, t.app, before.key.Hash, t.key.Hash, before.volumes[0].ID, t.volumes[0].ID)
	}
	d.say("resized in place: machine %d→%d CPU, %d→%d MB; volume %d→%d GB (same volume); key limit $%g→$%g (same key)",
		before.machine.Guest.CPUs, t.machine.Guest.CPUs, before.machine.Guest.MemoryMB, t.machine.Guest.MemoryMB,
		before.volumes[0].SizeGB, t.volumes[0].SizeGB, before.keyLimit, t.keyLimit)
	return d.checkMe(ctx, u, t.app, pro.Name)
}

func (d *demo) cancel(ctx context.Context, u userSession) error {
	ev := d.stripe.subscription(billingtest.SubscriptionDeleted, "canceled", d.plans[pricePro].Price)
	if err := d.send(ctx, ev); err != nil {
		return err
	}
	d.say("the subscription ended at %s; the tenant and its volume are kept for the retention (%s)", ev.Created.Format(time.TimeOnly), d.o.retention)
	j, err := d.awaitApply(ctx, u, 3, fmt.Sprintf("waiting for the destroy, due at %s …", ev.Created.Add(d.o.retention).Format(time.TimeOnly)))
	if err != nil {
		return err
	}
	if j.Apply == nil || !j.Apply.Destroy || j.Summary.Destroy != 2 || j.Summary.Add != 0 {
		return fmt.Errorf("the last apply %+v planned %+v; want the destroy of the tenant and its key", j.Apply, j.Summary)
	}
	w, err := readWorld(ctx, d.sandbox)
	if err != nil {
		return err
	}
	if len(w.apps) != 0 || len(w.keys) != 0 {
		return fmt.Errorf("after the destroy the simulators hold %d apps and %d live keys; want none", len(w.apps), len(w.keys))
	}
	d.say("simulators (/_sim/snapshot): 0 apps, 0 live OpenRouter keys: nothing left behind")
	var m stack.Me
	if err := d.api.Call(ctx, http.MethodGet, "/api/me", u.token, nil, nil, &m); err != nil {
		return err
	}
	if len(m.Tenants) != 0 || m.Subscription.Status != "canceled" || m.Apply == nil || !m.Apply.Destroy || m.Apply.Status != "succeeded" {
		return fmt.Errorf("/api/me after the teardown: %+v", m)
	}
	d.say("GET /api/me: subscription %s, %d tenants, last apply %s (destroy)", m.Subscription.Status, len(m.Tenants), m.Apply.Status)
	return nil
}

// tenantOn reads the simulators and checks that they hold one tenant sized as p says.
func (d *demo) tenantOn(ctx context.Context, p stack.Plan) (tenant, error) {
	w, err := readWorld(ctx, d.sandbox)
	if err != nil {
		return tenant{}, err
	}
	t, err := w.onlyTenant()
	if err != nil {
		return t, err
	}
	g := t.machine.Guest
	if g.CPUs != p.CPUs || g.MemoryMB != p.Memory || g.CPUKind != p.CPUKind || t.keyLimit != p.LimitUSD ||
		len(t.volumes) != 1 || t.volumes[0].SizeGB != p.VolumeGB || !t.volumes[0].Encrypted {
		return t, fmt.Errorf("tenant %s is %d %s CPU, %d MB, volumes %+v, key limit $%g; plan %s wants %d %s CPU, %d MB, one encrypted %d GB volume, $%g",
			t.app, g.CPUs, g.CPUKind, g.MemoryMB, t.volumes, t.keyLimit, p.Name, p.CPUs, p.CPUKind, p.Memory, p.VolumeGB, p.LimitUSD)
	}
	return t, nil
}

func (d *demo) describe(t tenant) {
	d.say("simulators (/_sim/snapshot) hold the tenant:")
	d.say("  app      %s (%s of its own)", t.app, t.isolation)
	d.say("  IPs      %s, %s (dedicated)", t.ipv4, t.ipv6)
	d.say("  machine  %s: %d %s CPU, %d MB, %s, image %s", t.machine.ID, t.machine.Guest.CPUs, t.machine.Guest.CPUKind, t.machine.Guest.MemoryMB, t.machine.State, t.machine.Image)
	d.say("  volume   %s: %d GB, encrypted %v, mounted at %s", t.volumes[0].ID, t.volumes[0].SizeGB, t.volumes[0].Encrypted, mountOf(t))
	d.say("  key      OpenRouter sub-key %s…, limit $%g, delivered as app secret(s) %s", t.key.Hash[:12], t.keyLimit, strings.Join(t.secrets, ", "))
}

func mountOf(t tenant) string {
	for _, m := range t.machine.Mounts {
		if m.Volume == t.volumes[0].ID {
			return m.Path
		}
	}
	return "(not mounted)"
}

// checkMe checks what the customer sees in GET /api/me.
func (d *demo) checkMe(ctx context.Context, u userSession, app, planName string) error {
	var m stack.Me
	if err := d.api.Call(ctx, http.MethodGet, "/api/me", u.token, nil, nil, &m); err != nil {
		return err
	}
	if len(m.Tenants) != 1 || m.Tenants[0].AppName != app || m.Tenants[0].Plan != planName || m.User.Plan != planName || m.Apply == nil || m.Apply.Status != "succeeded" {
		return fmt.Errorf("/api/me shows %+v; want tenant %s on %s and the apply succeeded", m, app, planName)
	}
	d.say("GET /api/me: plan %s, subscription %s, tenant %s at %s, last apply %s", m.User.Plan, m.Subscription.Status, m.Tenants[0].AppName, m.Tenants[0].IPv4, m.Apply.Status)
	return nil
}

// relative shows a path relative to the working directory when it is under it.
func relative(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}
