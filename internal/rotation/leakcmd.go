package rotation

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
)

// leakPeers are the services `rotate-secret --rotate-keys` reaches, from the environment. A
// missing one is nil: the run then fails with what to set only if some user needs it (a key
// to rotate, a tenant to re-key); no SMTP means the marked users are printed instead.
type leakPeers struct {
	issuer    launchpad.KeyIssuer
	runtime   launchpad.Runtime
	mailer    launchpad.Mailer
	publicURL string
}

func loadLeakPeers(ctx context.Context, getenv func(string) string) (*leakPeers, error) {
	p := &leakPeers{publicURL: getenv(settings.PublicURL)}
	if key := getenv(settings.OpenRouterManagement); key != "" {
		issuer, err := openrouter.New(openrouter.Config{BaseURL: getenv(settings.OpenRouterAPIURL), ManagementKey: key})
		if err != nil {
			return nil, fmt.Errorf("OPENROUTER_MANAGEMENT_KEY / OPENROUTER_API_URL: %s", launchpad.ErrorMessage(err))
		}
		p.issuer = issuer
	}
	if token := getenv(settings.FlyAPIToken); token != "" {
		org := getenv(settings.FlyOrg)
		if org == "" {
			return nil, fmt.Errorf("FLY_API_TOKEN is set but FLY_ORG is not: set it to the organization the tenant apps are in")
		}
		rt, err := fly.New(ctx, fly.Config{BaseURL: getenv(settings.FlyFlapsBaseURL), Token: token, Org: org})
		if err != nil {
			return nil, fmt.Errorf("FLY_API_TOKEN / FLY_FLAPS_BASE_URL: %s", launchpad.ErrorMessage(err))
		}
		p.runtime = rt
	}
	if url := getenv(settings.SMTPURL); url != "" && url != smtp.LogURL { // log: is for serve's sandbox; the users are printed instead
		m, err := smtp.New(smtp.Config{URL: url, From: getenv(settings.MailFrom)})
		if err != nil {
			return nil, fmt.Errorf("LAUNCHPAD_SMTP_URL / LAUNCHPAD_MAIL_FROM: %s", launchpad.ErrorMessage(err))
		}
		p.mailer = m
	}
	return p, nil
}

// runLeakResponse is the --rotate-keys part of the command, after the re-seal. It returns the
// exit code: 0 when every key is rotated and every factor marked, 1 otherwise.
func runLeakResponse(ctx context.Context, cfg *rotateConfig, st launchpad.Store, kr *envelope.Keyring, peers *leakPeers, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "rotate-secret: --rotate-keys: rotating every sub-key and marking every TOTP factor for re-enrolment")
	rep := &leakLines{w: stderr, every: lineInterval, now: time.Now, quiet: cfg.progress == progressNone}
	rep.last = rep.now()
	res, err := RespondToLeak(ctx, LeakConfig{
		Store: st, Keyring: kr, Issuer: peers.issuer, Runtime: peers.runtime, Mailer: peers.mailer, PublicURL: peers.publicURL,
		BatchSize: cfg.batchSize, Actor: launchpad.OperatorActor(cfg.operator), Progress: rep.update,
	})
	rep.finish(res)
	state := "complete"
	if !res.Complete {
		state = "incomplete (run rotate-secret --rotate-keys again to finish)"
	}
	fmt.Fprintf(stdout, "leak response %s\n", state)
	fmt.Fprintf(stdout, "users scanned:           %d\n", res.UsersScanned)
	fmt.Fprintf(stdout, "sub-keys rotated:        %d\n", res.KeysRotated)
	fmt.Fprintf(stdout, "TOTP factors marked:     %d\n", res.FactorsMarked)
	fmt.Fprintf(stdout, "users emailed:           %d\n", res.Mailed)
	fmt.Fprintf(stdout, "users to tell yourself:  %d\n", len(res.ToTell))
	for _, u := range res.ToTell {
		fmt.Fprintf(stdout, "  tell user %s <%s>: their authenticator must be enrolled again (%s)\n", u.UserID, u.Email, u.Reason)
	}
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad rotate-secret --rotate-keys: %s\n", describe(err))
		return 1
	}
	return 0
}

// leakLines prints the leak response's counts at most every interval, and once at the end.
type leakLines struct {
	w     io.Writer
	every time.Duration
	now   func() time.Time
	quiet bool

	mu   sync.Mutex
	last time.Time
}

func (l *leakLines) update(r LeakResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := l.now(); !l.quiet && now.Sub(l.last) >= l.every {
		l.last = now
		fmt.Fprintf(l.w, "rotate-secret: %s\n", leakLine(r))
	}
}

func (l *leakLines) finish(r LeakResult) {
	if !l.quiet {
		fmt.Fprintf(l.w, "rotate-secret: %s\n", leakLine(r))
	}
}

func leakLine(r LeakResult) string {
	return fmt.Sprintf("%d users scanned, %d sub-keys rotated, %d TOTP factors marked, %d users emailed",
		r.UsersScanned, r.KeysRotated, r.FactorsMarked, r.Mailed)
}
