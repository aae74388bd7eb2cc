package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/account"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/purge"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/ratelimit"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Deps are the server's collaborators, built by the caller (RunServe, or a test).
type Deps struct {
	Store   launchpad.Store   // required; the caller closes it after Server.Close
	Keyring *envelope.Keyring // required: seals TOTP secrets, derives token and code keys
	Mailer  launchpad.Mailer  // required: internal/smtp.Mailer, or LogMailer for the sandbox
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock for everything that expires (codes, tokens, TOTP steps, rate limits);
	// nil means time.Now. Tests move it to expire things without sleeping.
	Now func() time.Time
	// Registry receives the metrics; nil means a new registry with Go and process metrics.
	Registry *prometheus.Registry

	// Billing is the Stripe side (billing.LoadEnv reads it from the environment): the
	// webhook's signing secrets, the Stripe API the processor re-fetches subscriptions from,
	// and the past-due grace and volume retention. With no webhook secret the webhook answers
	// 503; zero durations get billing's defaults.
	Billing billing.Env
	// Workers, when set, runs the job queue in this process: Open starts the workers, Close
	// drains them. Nil: events are recorded and jobs enqueued for other replicas to run.
	// The background half keeps wall time; Now above does not reach it.
	Workers *Workers

	// Dashboard configures the customer dashboard (web.LoadEnv reads its billing links);
	// its PublicURL is Config.PublicURL.
	Dashboard web.Config
	// Keys is OpenRouter's key-management API (internal/openrouter): the live spend of a
	// user's sub-key in GET /api/me and the dashboard, the spend cap in the metering loop,
	// and revoke-key. Nil shows the spend state of the last metering pass and answers
	// revoke-key 503.
	Keys launchpad.KeyIssuer
	// Runtime is the Fly Machines API (internal/fly): operator exec and the metering loop.
	// Nil answers exec 503 and meters nothing.
	Runtime launchpad.Runtime
	// Metering, when set, runs the metering loop in this process (it needs Runtime): hour
	// caps, spend caps and suspension for non-payment. Open starts it, Close stops it.
	Metering *Metering
	// AuditLog signs the audit log's checkpoints and proves inclusion (internal/auditlog).
	// Nil answers GET /api/audit/checkpoint and the proofs 503.
	AuditLog *auditlog.Log
	// Purge, when set, runs the purge loop in this process: what is past its retention is
	// erased every Purge.Interval (one replica sweeps in each interval). Open starts it,
	// Close stops it. Nil purges nothing here.
	Purge *purge.Config
}

// Server is the control plane's HTTP server.
type Server struct {
	cfg     Config
	store   launchpad.Store
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	auth    *auth.Service // sign-in and sessions, for the API and the dashboard alike
	// accounts reads what GET /api/me answers; the dashboard's overview reads the same.
	accounts *account.Reader
	limits   limiters
	bg       *background
	web      *web.Handler
	handler  http.Handler

	keys    launchpad.KeyIssuer // nil: OpenRouter is not configured
	runtime launchpad.Runtime   // nil: Fly is not configured
	keyring *envelope.Keyring   // seals the BYOK keys users store (agentops.go)
	exec    func(http.ResponseWriter, *http.Request, *operator.ExecRequest) (*operator.ExecResponse, error)

	auditLog *auditlog.Log // nil: no LAUNCHPAD_AUDIT_SIGNING_SECRET

	http      *http.Server
	ln        net.Listener
	serveErr  chan error
	closing   chan struct{} // closed when Close starts: long-lived streams end
	closeOnce sync.Once
	closeErr  error
}

// limiters are the per-replica rate limits of Config.Limits that are the server's own (the
// sign-in ones are the auth service's).
type limiters struct {
	// rotationsPerUser bounds POST /api/me/rotate-key: each one is a tofu apply and a new key.
	rotationsPerUser *ratelimit.Keyed
}

// New checks cfg and deps and builds a server; nothing listens until Open. Errors are
// EINVALID and list every problem found.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg = cfg.withDefaults()
	problems := cfg.problems()
	if deps.Store == nil {
		problems = append(problems, "Deps.Store is nil")
	}
	if deps.Keyring == nil {
		problems = append(problems, "Deps.Keyring is nil")
	}
	if deps.Mailer == nil {
		problems = append(problems, "Deps.Mailer is nil")
	}
	if deps.Metering != nil && deps.Runtime == nil {
		problems = append(problems, "Deps.Metering is set without Deps.Runtime: metering reads the machines from Fly")
	}
	if len(problems) > 0 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the control plane cannot start:\n  - %s", strings.Join(problems, "\n  - "))
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	s := &Server{
		cfg:     cfg,
		store:   deps.Store,
		log:     deps.Logger,
		now:     deps.Now,
		metrics: newMetrics(deps.Registry),
		closing: make(chan struct{}),
		limits: limiters{
			rotationsPerUser: ratelimit.New("key rotations for this account", cfg.Limits.KeyRotationsPerUser),
		},
		keys:    deps.Keys,
		runtime: deps.Runtime,
		keyring: deps.Keyring,
	}
	s.auditLog = deps.AuditLog
	if deps.Runtime != nil {
		s.exec = operator.HandleExec(operator.Deps{Store: deps.Store, Runtime: deps.Runtime, Logger: deps.Logger.With("component", "operator")})
	}
	var err error
	s.auth, err = auth.New(cfg.authConfig(), auth.Deps{Store: deps.Store, Keyring: deps.Keyring, Mailer: deps.Mailer, Metrics: s.metrics,
		Logger: deps.Logger, Now: deps.Now})
	if err != nil {
		return nil, err
	}
	s.accounts = &account.Reader{Store: deps.Store, Keys: deps.Keys, KeyReadTimeout: meKeyReadTimeout, Logger: deps.Logger,
		Grace: deps.Billing.PastDueGrace, Retention: deps.Billing.VolumeRetention, Now: deps.Now}
	bg, err := s.newBackground(deps)
	if err != nil {
		s.auth.Close(context.Background())
		return nil, launchpad.Errorf(launchpad.EINVALID, "the control plane cannot start: %v", err)
	}
	s.bg = bg
	dash := deps.Dashboard
	dash.PublicURL = cfg.PublicURL
	dash.PastDueGrace, dash.VolumeRetention = deps.Billing.PastDueGrace, deps.Billing.VolumeRetention
	s.web, err = web.New(dash, web.Deps{Store: deps.Store, Keyring: deps.Keyring, Auth: dashboardAuth{s}, Keys: deps.Keys, Billing: deps.Billing.Account(),
		Agent:  s.dashboardAgent(),
		Logger: deps.Logger.With("component", "web"), Now: deps.Now, Closing: s.closing, Data: dashboardData{s}})
	if err != nil {
		s.auth.Close(context.Background())
		return nil, err
	}
	s.handler = s.instrument(s.jsonFallback(s.routes()))
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(deps.Logger.With("component", "http").Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler is the whole API with its middleware, for in-process use (httptest, fuzzing).
func (s *Server) Handler() http.Handler { return s.handler }

// Open listens on Config.Addr and serves in the background, and starts the job workers
// (Deps.Workers) and the metering loop (Deps.Metering). Listening happens here, not in the background, so a busy port is an error
// from Open.
func (s *Server) Open() error {
	if s.ln != nil {
		return launchpad.Errorf(launchpad.ECONFLICT, "the server is already open")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "cannot listen on %s (LAUNCHPAD_ADDR): %v", s.cfg.Addr, err)
	}
	s.ln = ln
	s.serveErr = make(chan error, 1)
	go func() { s.serveErr <- s.http.Serve(ln) }()
	s.bg.start(s.log)
	return nil
}

// Addr is the address the server listens on (host:port, with the real port when Config.Addr
// asked for port 0), or "" before Open.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL is http://Addr, for tests and logs.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close stops taking connections, lets in-flight requests finish and queued mail go out
// within Config.ShutdownTimeout, then closes what is left; log streams end at once. The
// metering loop stops (a pass in flight is cancelled; passes are idempotent, so the next
// start loses nothing). The job workers stop claiming at the same time and Close waits for
// them to drain: running applies
// get the queue's ShutdownGrace, then tofu gets SIGINT and, after the runner's CancelGrace,
// is killed; every outcome is recorded. It does not close Deps.Store. Calling it again
// returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.bg.beginDrain()
		defer s.bg.wait()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		if s.ln != nil {
			if err := s.http.Shutdown(ctx); err != nil {
				s.closeErr = fmt.Errorf("in-flight requests did not finish within %s: %w", s.cfg.ShutdownTimeout, err)
				_ = s.http.Close()
			}
			if err := <-s.serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && s.closeErr == nil {
				s.closeErr = err
			}
		}
		s.auth.Close(ctx)
	})
	return s.closeErr
}
