package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	useragent "github.com/medama-io/go-useragent"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/account"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Config is what the dashboard needs besides its dependencies. LoadEnv reads the billing
// links from the environment; the server fills PublicURL from its own configuration.
type Config struct {
	// PublicURL is where users reach the control plane (LAUNCHPAD_PUBLIC_URL). With https,
	// cookies are Secure (and named with the __Host- prefix) and pages carry HSTS; its
	// origin is trusted for form posts behind a proxy that rewrites Host.
	PublicURL string
	// BillingPortalURL is Stripe's hosted customer portal (its login link,
	// LAUNCHPAD_BILLING_PORTAL_URL); empty hides the link.
	BillingPortalURL string
	// CheckoutURL is a Stripe payment link or hosted checkout page
	// (LAUNCHPAD_BILLING_CHECKOUT_URL); the dashboard adds client_reference_id (the user id,
	// which the webhook links the customer by) and prefilled_email. Empty hides the link.
	CheckoutURL string
	// AuditPoll is how often a live audit stream asks the store for new events; default 2 s.
	AuditPoll time.Duration
	// OverviewPoll is how often the live overview asks for its state while a change runs
	// (ten times as long otherwise); default 3 s.
	OverviewPoll time.Duration
	// PastDueGrace and VolumeRetention are billing's (LAUNCHPAD_PAST_DUE_GRACE,
	// LAUNCHPAD_VOLUME_RETENTION), for the overview's deadlines; 0 means the defaults.
	PastDueGrace, VolumeRetention time.Duration
}

// DefaultAuditPoll is the default of Config.AuditPoll.
const DefaultAuditPoll = 2 * time.Second

// DefaultOverviewPoll is the default of Config.OverviewPoll.
const DefaultOverviewPoll = 3 * time.Second

// Deps are the dashboard's collaborators, the server's own.
type Deps struct {
	Store launchpad.Store // required: read-only here, every write goes through Auth
	// Keyring is required: the key of the forms' CSRF tokens is derived from it
	// ("dashboard-csrf"), so they survive restarts and agree across replicas.
	Keyring *envelope.Keyring
	Auth    Auth // required: sign-in and sessions
	// Agent, when set, acts on the customer's agent and reads its logs (the agent page);
	// nil shows the agent without its actions.
	Agent Agent
	// Keys, when set, is read for the live spend of the user's sub-key; nil shows the spend
	// state of the last metering pass.
	Keys launchpad.KeyIssuer
	// Billing, when set (STRIPE_API_KEY), is read for the plans' prices and the customer's
	// invoices and card; nil links Stripe's hosted portal for them instead.
	Billing BillingAccount
	// Logger receives the dashboard's warnings; nil discards them.
	Logger *slog.Logger
	// Now is the clock of cookie lifetimes and session listings; nil means time.Now.
	Now func() time.Time
	// Closing, when closed, ends the live audit streams (the server is shutting down and
	// would otherwise wait for them until its timeout).
	Closing <-chan struct{}
	// Data, when set, serves the "Your data" page's export and account deletion; nil shows
	// the page without them.
	Data AccountData
}

// Handler is the dashboard: an http.Handler for its own routes, which Mount also registers on
// the server's mux next to the API.
type Handler struct {
	cfg      Config
	store    launchpad.Store
	auth     Auth
	agent    Agent
	agents   *useragent.Parser // reads user agents as device names
	accounts *account.Reader
	billing  BillingAccount
	log      *slog.Logger
	now      func() time.Time
	closing  <-chan struct{}
	data     AccountData
	csrfKeys []envelope.DerivedKey
	pages    *pages
	assets   *assets
	cookies  cookieNames
	secure   bool
	cop      *http.CrossOriginProtection

	routes []route
	mux    *http.ServeMux
}

// route is one pattern of the dashboard and its handler, headers and checks included.
type route struct {
	pattern string
	handler http.Handler
}

// New checks cfg and deps and builds the dashboard. Errors are EINVALID and list every
// problem found.
func New(cfg Config, d Deps) (*Handler, error) {
	var problems []string
	if d.Store == nil {
		problems = append(problems, "Deps.Store is nil")
	}
	if d.Keyring == nil {
		problems = append(problems, "Deps.Keyring is nil")
	}
	if d.Auth == nil {
		problems = append(problems, "Deps.Auth is nil")
	}
	problems = append(problems, cfg.problems()...)
	if len(problems) > 0 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the dashboard cannot start:\n  - %s", strings.Join(problems, "\n  - "))
	}
	if cfg.AuditPoll <= 0 {
		cfg.AuditPoll = DefaultAuditPoll
	}
	if cfg.OverviewPoll <= 0 {
		cfg.OverviewPoll = DefaultOverviewPoll
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Closing == nil {
		d.Closing = make(chan struct{}) // never closed: streams end with their request
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	p, err := loadPages(a.version)
	if err != nil {
		return nil, err
	}
	secure := strings.HasPrefix(cfg.PublicURL, "https://")
	h := &Handler{
		cfg:    cfg,
		store:  d.Store,
		auth:   d.Auth,
		agent:  d.Agent,
		agents: useragent.NewParser(),
		accounts: &account.Reader{Store: d.Store, Keys: d.Keys, KeyReadTimeout: keyReadTimeout, Logger: d.Logger,
			Grace: cfg.PastDueGrace, Retention: cfg.VolumeRetention, Now: d.Now},
		billing:  d.Billing,
		log:      d.Logger,
		now:      d.Now,
		closing:  d.Closing,
		data:     d.Data,
		csrfKeys: d.Keyring.Derive("dashboard-csrf"),
		pages:    p,
		assets:   a,
		cookies:  newCookieNames(secure),
		secure:   secure,
	}
	h.cop = h.newCrossOriginProtection()
	h.routes = h.buildRoutes()
	h.mux = http.NewServeMux()
	for _, rt := range h.routes {
		h.mux.Handle(rt.pattern, rt.handler)
	}
	return h, nil
}

// ServeHTTP serves the dashboard's routes on their own (tests, or a server of its own).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Mount registers every dashboard route on mux, next to the API's. Routes are registered
// one by one rather than as a catch-all "/", so the API keeps its own JSON answers for
// unknown paths and wrong methods.
func (h *Handler) Mount(mux *http.ServeMux) {
	for _, rt := range h.routes {
		mux.Handle(rt.pattern, rt.handler)
	}
}

// Patterns lists the dashboard's route patterns.
func (h *Handler) Patterns() []string {
	out := make([]string, len(h.routes))
	for i, rt := range h.routes {
		out[i] = rt.pattern
	}
	return out
}

// buildRoutes is every route of the dashboard in one place. Every response gets the
// security headers; every POST passes the cross-origin check and its form's CSRF token.
func (h *Handler) buildRoutes() []route {
	get := func(p string, f http.HandlerFunc) route {
		return route{"GET " + p, h.headers(f)}
	}
	post := func(p string, f http.HandlerFunc) route {
		return route{"POST " + p, h.headers(h.crossOrigin(f))}
	}
	return append([]route{
		// Signed out: the pre-session cookie binds these forms' CSRF tokens.
		get("/signin", h.handleSignInPage),
		post("/signin", h.presession(h.handleSendCode)),
		get("/signin/code", h.handleCodePage),
		post("/signin/code", h.presession(h.handleVerifyCode)),
		get("/signin/second-factor", h.handleSecondFactorPage),
		post("/signin/second-factor", h.presession(h.handleVerifySecondFactor)),

		// Signed in: the session binds the CSRF tokens.
		get("/{$}", h.signedIn(h.handleOverview)),
		get("/overview/live", h.signedIn(h.handleOverviewLive)),
		get("/audit", h.signedIn(h.handleAudit)),
		get("/audit/events", h.signedInStream(h.handleAuditEvents)),
		get("/security", h.signedIn(h.handleSecurity)),
		post("/security/totp", h.signedInForm(h.handleEnrolTOTP)),
		post("/security/totp/confirm", h.signedInForm(h.handleConfirmTOTP)),
		post("/security/sign-out-everywhere", h.signedInForm(h.handleSignOutEverywhere)),
		post("/security/sessions/sign-out", h.signedInForm(h.handleSignOutSession)),
		post("/security/totp/disable", h.signedInForm(h.handleDisableTOTP)),
		post("/security/recovery-codes", h.signedInForm(h.handleRegenerateRecoveryCodes)),
		post("/security/step-up", h.signedInForm(h.handleStartStepUp)),
		post("/security/step-up/verify", h.signedInForm(h.handleVerifyStepUp)),
		get("/billing", h.signedIn(h.handleBilling)),
		get("/audit/download", h.signedIn(h.handleAuditDownload)),
		post("/security/sessions/{id}/revoke", h.signedInForm(h.handleRevokeSession)),
		get("/data", h.signedIn(h.handleDataPage)),
		get("/data/export", h.signedIn(h.handleDataExport)),
		post("/data/delete", h.signedInForm(h.handleDeleteAccount)),
		post("/signout", h.signedInForm(h.handleSignOut)),

		// Embedded assets.
		get("/static/", h.assets.serve),
	}, h.agentRoutes(post, get)...)
}

// origin is scheme://host of a URL, or "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
