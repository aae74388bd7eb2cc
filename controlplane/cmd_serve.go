package controlplane

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/purge"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/rollout"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// setting is one of serve's flags: a row of the settings table (flag, else its environment
// variable, else the default) and where its raw value goes.
type setting struct {
	settings.Setting
	dst *string
}

// serveSettings are the raw values of `serve`'s configuration.
type serveSettings struct {
	addr, store, secret, secretPrevious, smtpURL, mailFrom         string
	adminToken, metricsToken, publicURL, trustedProxies, logFormat string
	stepUpWindow                                                   string

	// The background half: read by billing.LoadEnv, queue.EnvConfig and runner.EnvConfig,
	// which apply their own defaults.
	webhookSecret, stripeAPIKey, stripeAPIBase, pastDueGrace, volumeRetention string
	workers, jobLease, jobShutdownGrace, applyCancelGrace                     string
	tofu, dataDir, product, region, image                                     string

	// The dashboard's links to Stripe, read by web.LoadEnv.
	billingPortalURL, checkoutURL string

	// The metering loop, and whether a plan change rotates the sub-key (billing.LoadEnv).
	meterInterval, rotateOnPlanChange string

	// The purge loop and the retention of each class of stored data (purge.LoadEnv).
	purgeInterval, retentionStripePayloads, retentionJobLogs, retentionSessions string
	retentionDevices, retentionSignInCodes, retentionSnapshots                  string
	retentionAudit, auditArchiveDir                                             string
}

// table pairs every row of the settings table that gives serve a flag with the field its raw
// value goes to.
func (v *serveSettings) table() []setting {
	dst := map[string]*string{
		settings.Addr: &v.addr, settings.Store: &v.store, settings.PlatformSecret: &v.secret,
		settings.PlatformSecretPrevious: &v.secretPrevious, settings.SMTPURL: &v.smtpURL, settings.MailFrom: &v.mailFrom,
		settings.AdminToken: &v.adminToken, settings.MetricsToken: &v.metricsToken, settings.PublicURL: &v.publicURL, settings.TrustedProxies: &v.trustedProxies,
		settings.LogFormat: &v.logFormat, settings.StripeWebhookSecret: &v.webhookSecret, settings.StripeAPIKey: &v.stripeAPIKey,
		settings.StripeAPIBase: &v.stripeAPIBase, settings.PastDueGrace: &v.pastDueGrace, settings.VolumeRetention: &v.volumeRetention,
		settings.Workers: &v.workers, settings.JobLease: &v.jobLease, settings.JobShutdownGrace: &v.jobShutdownGrace,
		settings.ApplyCancelGrace: &v.applyCancelGrace, settings.Tofu: &v.tofu, settings.DataDir: &v.dataDir,
		settings.Product: &v.product, settings.Region: &v.region, settings.Image: &v.image,
		settings.BillingPortalURL: &v.billingPortalURL, settings.BillingCheckoutURL: &v.checkoutURL,
		settings.MeterInterval: &v.meterInterval, settings.RotateOnPlanChange: &v.rotateOnPlanChange,
		settings.StepUpWindow:  &v.stepUpWindow,
		settings.PurgeInterval: &v.purgeInterval, settings.RetentionStripePayloads: &v.retentionStripePayloads,
		settings.RetentionJobLogs: &v.retentionJobLogs, settings.RetentionSessions: &v.retentionSessions,
		settings.RetentionDevices: &v.retentionDevices, settings.RetentionSignInCodes: &v.retentionSignInCodes,
		settings.RetentionSnapshots: &v.retentionSnapshots,
		settings.RetentionAudit:     &v.retentionAudit, settings.AuditArchiveDir: &v.auditArchiveDir,
	}
	var out []setting
	for _, s := range settings.For(settings.Serve) {
		if s.Flag == "" {
			continue
		}
		d, ok := dst[s.Env]
		if !ok {
			panic("serve: the settings table gives serve the flag -" + s.Flag + " but nothing reads " + s.Env)
		}
		out = append(out, setting{Setting: s, dst: d})
	}
	if len(out) != len(dst) {
		panic("serve: a field of serveSettings has no flag in the settings table")
	}
	return out
}

// serveConfig is `serve`'s whole configuration, checked.
type serveConfig struct {
	Config
	storeURL, secret, secretPrevious, smtpURL, mailFrom, logFormat string
	billing                                                        billing.Env
	workers                                                        Workers
	dashboard                                                      web.Config
	// metering is nil when LAUNCHPAD_METER_INTERVAL is off; serve also leaves it off without
	// FLY_API_TOKEN. Tests set its Clock.
	metering *Metering
	// auditLog signs checkpoints and pushes them to a witness (auditlog.go).
	auditLog auditLogConfig
	// purge is the retention the purge loop enforces.
	purge purge.Config
}

// loadServeConfig reads flags, then environment variables, then defaults, and checks all of
// it, returning one error that lists every problem. Secret values are never echoed.
func loadServeConfig(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	var raw serveSettings
	table := raw.table()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range table {
		usage := s.Usage + " (env " + s.Env + ")"
		switch {
		case s.Default != "":
			usage += " (default " + s.Default + ")"
		case s.DefaultDoc != "":
			usage += " (default " + strings.Trim(s.DefaultDoc, "`") + ")"
		}
		fs.StringVar(s.dst, s.Flag, "", usage)
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: terraform-provider-launchpad serve [flags]\n\nRuns the control plane: the HTTP API, the Stripe webhook and the apply workers. Every flag has an\nenvironment variable; a flag wins over its variable.\n\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nThe provider that tofu runs for each apply is configured from these variables, passed\nthrough to tofu only: %s.\n", strings.Join(runner.ProviderEnvVars, ", "))
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve takes no arguments, got %q; see serve -h", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	resolved := map[string]string{}
	for _, s := range table {
		if !set[s.Flag] {
			*s.dst = getenv(s.Env)
		}
		if *s.dst == "" {
			*s.dst = s.Default
		}
		resolved[s.Env] = *s.dst
	}
	// The subpackages read their settings through a getenv of their own: give them the
	// values the flags resolved, so that a flag reaches them (and the provider's
	// environment, which carries LAUNCHPAD_STORE and PLATFORM_SECRET) like its variable.
	settingOrEnv := func(k string) string {
		if v, ok := resolved[k]; ok {
			return v
		}
		return getenv(k)
	}

	var problems []string
	c := &serveConfig{
		Config:         Config{Addr: raw.addr, PublicURL: raw.publicURL, AdminToken: raw.adminToken, MetricsToken: raw.metricsToken},
		storeURL:       raw.store,
		secret:         raw.secret,
		secretPrevious: raw.secretPrevious,
		smtpURL:        raw.smtpURL,
		mailFrom:       raw.mailFrom,
		logFormat:      raw.logFormat,
	}
	var err error
	if c.TrustedProxies, err = ParseTrustedProxies(raw.trustedProxies); err != nil {
		problems = append(problems, err.Error())
	}
	if c.StepUpWindow, err = ParseStepUpWindow(raw.stepUpWindow); err != nil {
		problems = append(problems, err.Error())
	}
	c.Config = c.withDefaults()
	problems = append(problems, c.problems()...)
	problems = append(problems, secretProblems(c.secret, c.secretPrevious)...)
	if _, err := store.Parse(c.storeURL); err != nil {
		problems = append(problems, launchpad.ErrorMessage(err))
	}
	problems = append(problems, mailProblems(c.smtpURL, c.mailFrom)...)
	if c.mailFrom == "" {
		c.mailFrom = "Launchpad <launchpad@localhost>"
	}
	if a, err := mail.ParseAddress(c.mailFrom); err != nil || a.Address == "" || strings.IndexFunc(c.mailFrom, unicode.IsControl) >= 0 {
		problems = append(problems, fmt.Sprintf("LAUNCHPAD_MAIL_FROM %q is not an address like launchpad@example.com or \"Launchpad <launchpad@example.com>\"", strings.Map(printable, c.mailFrom)))
	}
	if c.logFormat != "json" && c.logFormat != "text" {
		problems = append(problems, fmt.Sprintf("LAUNCHPAD_LOG_FORMAT %q is not json or text", c.logFormat))
	}
	if c.dashboard, err = web.LoadEnv(settingOrEnv); err != nil {
		problems = append(problems, lines(err)...)
	}
	if c.billing, err = billing.LoadEnv(settingOrEnv); err != nil {
		problems = append(problems, lines(err)...)
	}
	if c.purge, err = purge.LoadEnv(settingOrEnv); err != nil {
		problems = append(problems, lines(err)...)
	}
	if c.workers.Queue, err = queue.EnvConfig(settingOrEnv); err != nil {
		problems = append(problems, lines(err)...)
	}
	if c.workers.Runner, err = runner.EnvConfig(settingOrEnv); err != nil {
		problems = append(problems, lines(err)...)
	}
	// Every tenant the control plane destroys keeps its workspace as long as the purge loop
	// lets it: one setting decides both.
	c.workers.Runner.Defaults.WorkspaceRetentionDays = c.purge.SnapshotDays()
	if c.workers.AutoRollout, err = rollout.ParseAutoRollout(settingOrEnv(settings.AutoRollout)); err != nil {
		problems = append(problems, err.Error())
	}
	if p := tofuProblem(c.workers.Runner.Tofu); p != "" {
		problems = append(problems, p)
	}
	if interval, on, err := metering.ParseInterval(raw.meterInterval); err != nil {
		problems = append(problems, launchpad.ErrorMessage(err))
	} else if on {
		c.metering = &Metering{Interval: interval}
	}
	if _, _, err := peerClients(context.Background(), c.workers.Runner.ProviderEnv, nil); err != nil {
		problems = append(problems, lines(err)...)
	}
	var auditProblems []string
	c.auditLog, auditProblems = loadAuditLogConfig(settingOrEnv, c.secret)
	problems = append(problems, auditProblems...)
	if c.purge.Audit != purge.Forever && c.auditLog.signer == nil && len(auditProblems) == 0 {
		// The archive proves each trimmed event against a signed checkpoint.
		problems = append(problems, fmt.Sprintf("%s is set, but %s is not: the audit archive's proofs need signed checkpoints; set it, or set %s=keep",
			settings.RetentionAudit, settings.AuditSigningSecret, settings.RetentionAudit))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("cannot start; fix these settings (flags or environment variables):\n  - %s", strings.Join(problems, "\n  - "))
	}
	return c, nil
}

// mailProblems checks LAUNCHPAD_SMTP_URL and LAUNCHPAD_MAIL_FROM. Mail carries sign-in codes,
// so it has no default: serve writes it to its log only when LAUNCHPAD_SMTP_URL says log:.
func mailProblems(smtpURL, mailFrom string) []string {
	switch smtpURL {
	case "":
		return []string{"LAUNCHPAD_SMTP_URL is not set: set the mail server, smtp://host:port or smtps://user:pass@host:port, " +
			"or " + smtp.LogURL + " to write mail to the log instead (sign-in codes included: for the sandbox and demos only)"}
	case smtp.LogURL:
		return nil // the LogMailer: nothing to reach, and no sender needed
	}
	var problems []string
	if _, err := smtp.ParseURL(smtpURL); err != nil {
		problems = append(problems, "LAUNCHPAD_SMTP_URL: "+launchpad.ErrorMessage(err))
	}
	if mailFrom == "" {
		problems = append(problems, "LAUNCHPAD_MAIL_FROM is not set: with LAUNCHPAD_SMTP_URL, set the sender, e.g. \"Launchpad <launchpad@example.com>\"")
	}
	return problems
}

// secretProblems checks PLATFORM_SECRET and PLATFORM_SECRET_PREVIOUS without echoing them.
func secretProblems(secret, previous string) []string {
	var out []string
	switch {
	case secret == "":
		out = append(out, fmt.Sprintf("PLATFORM_SECRET is not set: set it to at least %d random bytes, for example `openssl rand -base64 48`", envelope.MinSecretLength))
	case len(secret) < envelope.MinSecretLength:
		out = append(out, fmt.Sprintf("PLATFORM_SECRET is %d bytes; it needs at least %d random bytes, for example `openssl rand -base64 48`", len(secret), envelope.MinSecretLength))
	}
	if previous != "" && len(previous) < envelope.MinSecretLength {
		out = append(out, fmt.Sprintf("PLATFORM_SECRET_PREVIOUS is %d bytes, so it cannot be a previous PLATFORM_SECRET; set it to the exact old secret or unset it", len(previous)))
	}
	if len(out) == 0 {
		if _, err := envelope.NewKeyring(secret, previous); err != nil {
			out = append(out, launchpad.ErrorMessage(err))
		}
	}
	return out
}

// tofuProblem says why the tofu executable cannot be found, or "". It looks where the runner
// will (LAUNCHPAD_TOFU, else tofu, else terraform on PATH), so that a missing tofu is listed
// with every other problem instead of failing after the store is opened.
func tofuProblem(name string) string {
	if name == "" {
		for _, n := range []string{"tofu", "terraform"} {
			if _, err := exec.LookPath(n); err == nil {
				return ""
			}
		}
		return "OpenTofu not found: neither tofu nor terraform is on PATH; install OpenTofu (`make tools` builds bin/tofu) or set LAUNCHPAD_TOFU to its path"
	}
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Sprintf("LAUNCHPAD_TOFU %q cannot be run (%v); set it to the path of the tofu (or terraform) executable", launchpad.Clip(name, 200), err)
	}
	return ""
}

// lines splits an errors.Join of problems into one problem per line.
func lines(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func printable(r rune) rune {
	if unicode.IsControl(r) {
		return -1
	}
	return r
}

// RunServe is `terraform-provider-launchpad serve`: it runs the control plane until ctx is
// cancelled (SIGINT/SIGTERM in main), then shuts down gracefully. Configuration comes from
// flags and environment variables; with any problem it exits 2 after naming all of them.
func RunServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runServe(ctx, args, os.Getenv, stdout, stderr)
}

func runServe(ctx context.Context, args []string, getenv func(string) string, _, stderr io.Writer) int {
	cfg, err := loadServeConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad serve: %v\n", err)
		return 2
	}
	return serve(ctx, cfg, stderr, nil)
}

// serve runs the control plane of a checked configuration until ctx ends: the store, the
// mailer, the HTTP server and the job workers. listening, if set, is called with the server
// once it listens (tests use it to find the port).
func serve(ctx context.Context, cfg *serveConfig, stderr io.Writer, listening func(*Server)) int {
	var handler slog.Handler = slog.NewJSONHandler(stderr, nil)
	if cfg.logFormat == "text" {
		handler = slog.NewTextHandler(stderr, nil)
	}
	log := slog.New(handler)
	fail := func(msg string, err error) int {
		log.Error(msg, "error", err.Error())
		return 1
	}

	keyring, err := envelope.NewKeyring(cfg.secret, cfg.secretPrevious)
	if err != nil {
		return fail("platform secret refused", err)
	}
	st, err := store.OpenWith(ctx, cfg.storeURL, store.Options{Logger: log.With("component", "store")})
	if err != nil {
		return fail("cannot open the store (LAUNCHPAD_STORE)", err)
	}
	defer st.Close()
	// Before anything is sealed: PLATFORM_SECRET must be the store's (or, during a rotation,
	// PLATFORM_SECRET_PREVIOUS must be), else what this process seals opens nowhere else.
	if err := keyring.ClaimStore(ctx, st); err != nil {
		return fail("PLATFORM_SECRET is not this store's platform secret", err)
	}

	var mailer launchpad.Mailer
	if cfg.smtpURL == smtp.LogURL {
		log.Warn("LAUNCHPAD_SMTP_URL=" + smtp.LogURL + ": mail is written to this log instead of being sent, sign-in codes included; use this only for the sandbox and demos")
		mailer = smtp.NewLogMailer(log.With("component", "log-mailer"))
	} else if mailer, err = smtp.New(smtp.Config{URL: cfg.smtpURL, From: cfg.mailFrom}); err != nil {
		return fail("mail settings refused", err)
	}
	if len(cfg.billing.WebhookSecrets) == 0 {
		log.Warn("STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks are answered 503 until it is")
	}
	if missing := missingProviderSettings(cfg.workers.Runner.ProviderEnv); len(missing) > 0 {
		log.Warn("the provider's settings are incomplete, so applies will fail until they are set", "unset", missing)
	}

	runtime, keys, err := peerClients(ctx, cfg.workers.Runner.ProviderEnv, log)
	if err != nil {
		return fail("Fly or OpenRouter settings refused", err)
	}
	warnAboutFlyToken(log, cfg.workers.Runner.ProviderEnv, cfg.AdminToken != "")
	meter := cfg.metering
	switch {
	case runtime == nil:
		log.Warn("FLY_API_TOKEN is not set: metering (hour caps, spend caps, suspension of unpaid subscriptions) and operator exec are off until it is")
		meter = nil
	case meter == nil:
		log.Info("LAUNCHPAD_METER_INTERVAL is off: this process meters nothing (another replica must)")
	}
	if keys == nil {
		log.Warn("OPENROUTER_MANAGEMENT_KEY is not set: spend caps are not watched, /api/me and the dashboard show no live spend, and revoke-key answers 503 until it is")
	}

	auditLog, err := startAuditLog(ctx, st, cfg.auditLog, log.With("component", "audit-log"))
	if err != nil {
		return fail("cannot start the audit log", err)
	}

	workers := cfg.workers
	srv, err := New(cfg.Config, Deps{Store: st, Keyring: keyring, Mailer: mailer, Logger: log, Billing: cfg.billing, Workers: &workers, Dashboard: cfg.dashboard,
		Runtime: runtime, Keys: keys, Metering: meter, AuditLog: auditLog, Purge: &cfg.purge})
	if err != nil {
		return fail("cannot build the server", err)
	}
	if err := srv.Open(); err != nil {
		return fail("cannot listen", err)
	}
	log.Info("control plane listening", "addr", srv.Addr(), "public_url", cfg.PublicURL,
		"store", storeTarget(cfg.storeURL), "key_id", keyring.CurrentKeyID(), "admin_api", cfg.AdminToken != "", "metrics_token", cfg.MetricsToken != "",
		"workers", workers.Queue.Workers, "job_lease", workers.Queue.Lease.String(), "stripe_webhook", len(cfg.billing.WebhookSecrets) > 0,
		"stripe_api", cfg.billing.APIKey != "", "fly", runtime != nil, "openrouter", keys != nil, "metering", meterSummary(meter),
		"rotate_on_plan_change", cfg.billing.RotateOnPlanChange, "purge_interval", cfg.purge.Interval.String(),
		"retention_stripe_payloads", purge.FormatRetention(cfg.purge.StripePayloads), "retention_snapshots_days", cfg.purge.SnapshotDays(),
		"retention_audit", auditRetentionSummary(cfg.purge.Audit))
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		warnNonCanonicalEmails(ctx, st, log.With("component", "emails"))
	}()
	if listening != nil {
		listening(srv)
	}
	<-ctx.Done()
	<-checked // before the store closes
	log.Info("shutting down: finishing in-flight requests, queued mail and running jobs",
		"timeout", cfg.ShutdownTimeout.String(), "job_grace", workers.Queue.ShutdownGrace.String())
	if err := srv.Close(); err != nil {
		return fail("shutdown was not clean", err)
	}
	log.Info("stopped")
	return 0
}

// missingProviderSettings names the provider settings without which no tenant can be applied.
func missingProviderSettings(env map[string]string) []string {
	var out []string
	for _, k := range []string{"FLY_API_TOKEN", "FLY_ORG", "OPENROUTER_MANAGEMENT_KEY"} {
		if env[k] == "" {
			out = append(out, k)
		}
	}
	return out
}

// storeTarget is the store URL in canonical form, for the start-up log line.
func storeTarget(url string) string {
	t, _ := store.Parse(url)
	return t.String()
}

// auditRetentionSummary is LAUNCHPAD_RETENTION_AUDIT as the start-up line shows it.
func auditRetentionSummary(d time.Duration) string {
	if d == purge.Forever {
		return "keep"
	}
	return purge.FormatRetention(d)
}
