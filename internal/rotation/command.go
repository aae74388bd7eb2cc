package rotation

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// Progress modes of the -progress flag.
const (
	progressAuto  = "auto"
	progressBar   = "bar"
	progressLines = "lines"
	progressNone  = "none"
)

// lineInterval is how often plain progress lines are printed.
const lineInterval = 2 * time.Second

// RunRotateSecret is `terraform-provider-launchpad rotate-secret`. It reads PLATFORM_SECRET
// (the new secret) and PLATFORM_SECRET_PREVIOUS (the old one) from the environment only —
// never from flags, which any user can read in `ps` — and LAUNCHPAD_STORE (or -store), and
// re-seals every stored credential under the new secret (see Rotate and the package
// documentation for the runbook).
//
// Exit codes: 0 when every credential is under the new secret; 1 when some credential did not
// open (each is named, by user id and field, on stderr), or the store failed, or the run was
// interrupted (run it again to resume); 2 for a usage error (a missing or short secret, a bad
// flag).
func RunRotateSecret(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runRotateSecret(ctx, args, os.Getenv, stdout, stderr)
}

// rotateConfig is the command's checked configuration.
type rotateConfig struct {
	storeURL         string
	secret, previous string
	batchSize        int
	workers          int
	progress         string
	operator         string
	// rotateKeys: after the re-seal, the leak response (RespondToLeak).
	rotateKeys bool
}

func runRotateSecret(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := loadRotateConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad rotate-secret: %v\n", err)
		return 2
	}
	kr, err := envelope.NewKeyring(cfg.secret, cfg.previous)
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad rotate-secret: %s\n", launchpad.ErrorMessage(err))
		return 2
	}
	old, err := envelope.NewKeyring(cfg.previous, "")
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad rotate-secret: %s\n", launchpad.ErrorMessage(err))
		return 2
	}

	var peers *leakPeers
	if cfg.rotateKeys {
		if peers, err = loadLeakPeers(ctx, getenv); err != nil {
			fmt.Fprintf(stderr, "terraform-provider-launchpad rotate-secret: %v\n", err)
			return 2
		}
	}

	st, err := store.Open(ctx, cfg.storeURL)
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad rotate-secret: cannot open the store (LAUNCHPAD_STORE): %s\n", describe(err))
		return 1
	}
	defer st.Close()

	fmt.Fprintf(stderr, "rotate-secret: re-sealing every credential in %s under key id %s (previous key id %s)\n",
		storeTarget(cfg.storeURL), kr.CurrentKeyID(), old.CurrentKeyID())
	rep := newReporter(ctx, cfg, st, stderr)
	res, err := Rotate(ctx, st, kr, Options{
		BatchSize:     cfg.batchSize,
		Workers:       cfg.workers,
		Progress:      rep.update,
		Actor:         launchpad.OperatorActor(cfg.operator),
		PreviousKeyID: old.CurrentKeyID(),
	})
	rep.finish(res)

	printCounts(stdout, res)
	for _, f := range res.Failures {
		fmt.Fprintf(stderr, "rotate-secret: user %s, field %s: does not open, left as it is: %s\n", f.UserID, f.Field, f.Reason)
	}
	if more := res.Failed - len(res.Failures); more > 0 {
		fmt.Fprintf(stderr, "rotate-secret: … and %d more credentials that do not open (only the first %d are listed)\n", more, len(res.Failures))
	}
	leakCode := 0
	if cfg.rotateKeys && err == nil {
		leakCode = runLeakResponse(ctx, cfg, st, kr, peers, stdout, stderr)
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "terraform-provider-launchpad rotate-secret: %s\n", describe(err))
		return 1
	case res.Failed > 0:
		fmt.Fprintf(stderr, "terraform-provider-launchpad rotate-secret: %d credentials open under neither secret and were left as they were; "+
			"keep PLATFORM_SECRET_PREVIOUS set until each is replaced (the user stores a new BYOK key, the sub-key is rotated, TOTP is enrolled again)\n", res.Failed)
		return 1
	}
	fmt.Fprintln(stderr, "rotate-secret: every credential is sealed under the new secret, which is now the store's active key: a provider or serve "+
		"with only the old secret is refused from now on; unset PLATFORM_SECRET_PREVIOUS and restart serve when the old sessions have expired "+
		"(15 minutes after serve restarted with the new secret)")
	return leakCode
}

func loadRotateConfig(args []string, getenv func(string) string, stderr io.Writer) (*rotateConfig, error) {
	cfg := &rotateConfig{}
	fs := flag.NewFlagSet("rotate-secret", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.storeURL, "store", "", "store URL (env LAUNCHPAD_STORE): sqlite:///abs/path.db, sqlite://./rel.db or firestore://PROJECT_ID (default "+store.DefaultPath+")")
	fs.IntVar(&cfg.batchSize, "batch-size", DefaultBatchSize, "users read per page (1-1000)")
	fs.IntVar(&cfg.workers, "workers", DefaultWorkers, "users re-sealed at once (1-64); more help a remote store")
	fs.StringVar(&cfg.progress, "progress", progressAuto, "progress display: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	fs.StringVar(&cfg.operator, "operator", "", "your name, recorded as the actor of the audit event (default $USER)")
	fs.BoolVar(&cfg.rotateKeys, "rotate-keys", false, "after a leaked secret: also rotate every user's OpenRouter sub-key (needs OPENROUTER_MANAGEMENT_KEY, "+
		"and FLY_API_TOKEN with FLY_ORG to re-key tenants) and mark every TOTP factor for re-enrolment, emailing the user "+
		"(LAUNCHPAD_SMTP_URL, LAUNCHPAD_MAIL_FROM; without them the users to tell are printed)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: terraform-provider-launchpad rotate-secret [flags]\n\n"+
			"Re-seals every stored credential under PLATFORM_SECRET (the new secret); values sealed under\n"+
			"PLATFORM_SECRET_PREVIOUS (the old secret) open during the run. Both secrets are read from the\n"+
			"environment only, never from flags (flags are visible in ps). Safe to interrupt and run again.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		// The arguments are not echoed: one may be a secret typed in the wrong place.
		return nil, fmt.Errorf("rotate-secret takes no arguments, got %d; secrets go in PLATFORM_SECRET and PLATFORM_SECRET_PREVIOUS, see rotate-secret -h", fs.NArg())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["store"] {
		cfg.storeURL = getenv(settings.Store)
	}
	if !set["operator"] {
		cfg.operator = getenv(settings.OperatorName)
		if launchpad.ValidateOperatorName(cfg.operator) != nil {
			cfg.operator = "rotate-secret"
		}
	}
	cfg.secret, cfg.previous = getenv(settings.PlatformSecret), getenv(settings.PlatformSecretPrevious)

	switch {
	case cfg.secret == "":
		return nil, fmt.Errorf("PLATFORM_SECRET is not set: set it to the new secret, at least %d random bytes (for example `openssl rand -base64 48`)", envelope.MinSecretLength)
	case cfg.previous == "":
		return nil, errors.New("PLATFORM_SECRET_PREVIOUS is not set: set it to the secret the credentials are sealed under now (the old PLATFORM_SECRET); rotate-secret re-seals them under PLATFORM_SECRET")
	case cfg.batchSize < 1 || cfg.batchSize > 1000:
		return nil, fmt.Errorf("-batch-size %d is out of range: use 1 to 1000", cfg.batchSize)
	case cfg.workers < 1 || cfg.workers > 64:
		return nil, fmt.Errorf("-workers %d is out of range: use 1 to 64", cfg.workers)
	case cfg.progress != progressAuto && cfg.progress != progressBar && cfg.progress != progressLines && cfg.progress != progressNone:
		return nil, fmt.Errorf("-progress %q is not auto, bar, lines or none", launchpad.Clip(cfg.progress, 20))
	case launchpad.ValidateOperatorName(cfg.operator) != nil:
		return nil, fmt.Errorf("-operator: %s", launchpad.ErrorMessage(launchpad.ValidateOperatorName(cfg.operator)))
	}
	if _, err := store.Parse(cfg.storeURL); err != nil {
		return nil, errors.New(launchpad.ErrorMessage(err))
	}
	return cfg, nil
}

// newReporter picks the progress display. The bar needs the number of users, so on a
// terminal the users are counted first (a read-only pass over the store).
func newReporter(ctx context.Context, cfg *rotateConfig, st launchpad.Store, stderr io.Writer) reporter {
	mode := cfg.progress
	if mode == progressAuto {
		mode = progressLines
		if isTerminal(stderr) {
			mode = progressBar
		}
	}
	switch mode {
	case progressBar:
		total, err := countUsers(ctx, st, cfg.batchSize)
		if err != nil {
			total = -1 // a spinner with counts
		}
		return newBarReporter(stderr, total)
	case progressLines:
		return newLineReporter(stderr, lineInterval, time.Now)
	default:
		return quietReporter{}
	}
}

// countUsers counts the users for the progress bar.
func countUsers(ctx context.Context, st launchpad.Store, batch int) (int, error) {
	n, after := 0, ""
	for {
		page, err := st.ListUsers(ctx, after, batch)
		if err != nil || len(page) == 0 {
			return n, err
		}
		n += len(page)
		after = page[len(page)-1].ID
	}
}

// printCounts writes the final counts, one per line, to stdout.
func printCounts(w io.Writer, r Result) {
	state := "complete"
	if !r.Complete {
		state = "incomplete (run rotate-secret again to finish)"
	}
	fmt.Fprintf(w, "rotation %s\n", state)
	fmt.Fprintf(w, "key id:                  %s\n", r.KeyID)
	fmt.Fprintf(w, "users scanned:           %d\n", r.UsersScanned)
	fmt.Fprintf(w, "users updated:           %d\n", r.UsersUpdated)
	fmt.Fprintf(w, "credentials re-sealed:   %d\n", r.Resealed)
	fmt.Fprintf(w, "already current:         %d\n", r.AlreadyCurrent)
	fmt.Fprintf(w, "failed to open:          %d\n", r.Failed)
	active := "no (some credential did not open, or the run did not finish)"
	if r.Activated {
		active = "yes: processes with only the old secret are now refused"
	}
	fmt.Fprintf(w, "store's active key set:  %s\n", active)
	fmt.Fprintf(w, "elapsed:                 %s\n", r.Elapsed.Round(time.Millisecond))
}

// describe is an error's message for an operator: coded errors as they are, others in full
// (they come from the store driver and hold no secret).
func describe(err error) string {
	if launchpad.ErrorCode(err) == launchpad.EINTERNAL {
		return err.Error()
	}
	return launchpad.ErrorMessage(err)
}

// storeTarget is the store URL in canonical form.
func storeTarget(url string) string {
	t, _ := store.Parse(url)
	return t.String()
}
