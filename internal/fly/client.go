// Package fly implements launchpad.Runtime on the Fly Machines API, through the REST client
// of github.com/superfly/fly-go (package flaps).
//
// What this package adds to flaps, and why:
//
//   - Endpoint injection. flaps reads its base URL only from the process environment
//     (FLY_FLAPS_BASE_URL). Library code must not call os.Setenv, so flaps is left at its
//     default and the Transport given to it rewrites every request to Config.BaseURL.
//   - One retry policy. fly.NewHTTPClient (which flaps always uses) wraps the transport in
//     rehttp, retrying up to 3 times on "temporary" errors and on 502/503 — for every method,
//     POST included, which could create an app or machine twice. The transport given to flaps
//     therefore reports every non-2xx answer and every network failure as an error that is
//     neither a 502/503 response nor a Temporary() error, so rehttp never retries, and the
//     retry loop (RetryPolicy, on internal/retry) is the only one.
//   - Idempotent creation. After an ambiguous failure (timeout, dropped connection, 5xx) a
//     create is not sent again blindly: the client first looks for what it may have created
//     (an app by name; a volume or machine by name among those that did not exist before the
//     call; an IP of the asked type among the addresses that did not exist before the call).
//   - Leases. Update, Start, Stop and Destroy run under a machine lease the client acquires
//     and releases itself.
//   - Coded errors (*launchpad.Error) whose messages never carry the API token or a secret.
package fly

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/superfly/fly-go/flaps"
	"github.com/superfly/fly-go/tokens"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/redact"
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// DefaultBaseURL is the public Fly Machines API.
const DefaultBaseURL = "https://api.machines.dev"

// userAgent names this client to Fly.
const userAgent = "terraform-provider-launchpad"

// DefaultTimeout bounds one HTTP request (one attempt) when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config configures a Client.
type Config struct {
	// BaseURL is the Machines API without the /v1 suffix ("" = https://api.machines.dev). A
	// trailing "/v1" is accepted and ignored. The sandbox gives http://127.0.0.1:PORT.
	BaseURL string
	// Token is the Fly API token (FLY_API_TOKEN). It is never logged and never in an error.
	Token string
	// Org is the organization slug used by CreateApp and ListApps when none is given.
	Org string
	// HTTPClient is optional; only its Transport is used (flaps builds its own client).
	HTTPClient *http.Client
	// Retry bounds retries; the zero value means DefaultRetryPolicy.
	Retry RetryPolicy
	// Timeout bounds one request (one attempt); 0 means DefaultTimeout. A response that never
	// comes surfaces as a timeout, which counts as an ambiguous failure.
	Timeout time.Duration
	// Logger receives debug lines about retries; nil discards them.
	Logger *slog.Logger
}

// Client is a launchpad.Runtime on the Fly Machines API. It is safe for concurrent use.
type Client struct {
	flaps   *flaps.Client
	http    *http.Client // the same transport chain, for the requests flaps cannot make as needed
	org     string
	retry   RetryPolicy
	timeout time.Duration
	log     *slog.Logger
	redact  *redact.Redactor
	now     func() time.Time
	// sleep waits d or until ctx is done; tests replace it to record waits instead of sleeping.
	sleep func(ctx context.Context, d time.Duration) error
	// logsBase, logsHTTP and tokens reach Fly's log API (logs.go), which lives beside the
	// Machines API rather than on it.
	logsBase string
	logsHTTP *http.Client
	tokens   *tokens.Tokens
}

var _ launchpad.Runtime = (*Client)(nil)

// New returns a Client for c. It makes no request.
func New(ctx context.Context, c Config) (*Client, error) {
	if strings.TrimSpace(c.Token) == "" {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "no Fly API token: set FLY_API_TOKEN (or the provider's fly.api_token) to a token for your Fly organization")
	}
	base, err := parseBaseURL(c.BaseURL)
	if err != nil {
		return nil, err
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inner := http.DefaultTransport
	if c.HTTPClient != nil && c.HTTPClient.Transport != nil {
		inner = c.HTTPClient.Transport
	}
	cl := &Client{
		org:     c.Org,
		retry:   c.Retry.WithDefaults(),
		timeout: c.Timeout,
		log:     log,
		redact:  newRedactor(c.Token),
		now:     time.Now,
		sleep:   retry.Sleep,
	}
	if cl.timeout <= 0 {
		cl.timeout = DefaultTimeout
	}
	transport := &answerTransport{
		next:   &rewriteTransport{base: base, next: inner},
		redact: cl.redact,
		now:    func() time.Time { return cl.now() },
		log:    log,
	}
	cl.http = &http.Client{Transport: transport}
	cl.tokens = tokens.Parse(c.Token)
	cl.logsBase = DefaultLogsBaseURL
	if c.BaseURL != "" && c.BaseURL != DefaultBaseURL {
		cl.logsBase = base.Scheme + "://" + base.Host + base.Path // the simulator serves both APIs
	}
	cl.logsHTTP = &http.Client{Transport: &answerTransport{next: inner, redact: cl.redact, now: transport.now, log: log}}
	// No fly.Logger is given on purpose: fly-go's LoggingTransport logs request bodies, and
	// SetSecret's body is a secret value.
	fc, err := flaps.NewWithOptions(ctx, flaps.NewClientOpts{
		UserAgent: userAgent,
		Tokens:    tokens.Parse(c.Token),
		Transport: transport,
	})
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "setting up the Fly client: %s", cl.redact.String(err.Error()))
	}
	cl.flaps = fc
	return cl, nil
}

// parseBaseURL checks the configured endpoint and drops a trailing /v1 (flaps adds it).
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "Fly API base URL %q is not valid: use an http(s) URL such as %s or http://127.0.0.1:PORT (FLY_FLAPS_BASE_URL / fly.base_url)", raw, DefaultBaseURL)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// orgOrDefault returns org, or the configured one.
func (c *Client) orgOrDefault(org string) (string, error) {
	if org != "" {
		return org, nil
	}
	if c.org != "" {
		return c.org, nil
	}
	return "", launchpad.Errorf(launchpad.EINVALID, "no Fly organization given: set FLY_ORG (or the provider's fly.org) to your organization slug, for example \"personal\"")
}

// required returns an EINVALID error when value is empty.
func required(what, value string) error {
	if strings.TrimSpace(value) == "" {
		return launchpad.Errorf(launchpad.EINVALID, "%s is empty", what)
	}
	return nil
}

// requiredIn checks an app's name and the name or id (what) of one of its parts.
func requiredIn(app, what, value string) error {
	if err := required("app name", app); err != nil {
		return err
	}
	return required(what, value)
}
