// Package openrouter implements launchpad.KeyIssuer on OpenRouter's key-management API
// (/keys, /keys/{hash}) with net/http.
//
// Amounts are US dollars as JSON numbers (float64), as the API has them. A key's plaintext
// exists only in the answer to the create request: it is returned in IssuedKey and is never
// logged, put in an error, or kept.
//
// CreateKey is idempotent by name. Before minting it notes the keys that already carry the
// name; if a mint fails ambiguously (timeout, dropped connection, 5xx), the key may exist
// while its plaintext was lost with the answer. The client then lists the keys, deletes every
// key with that name that was not there before (an orphan nobody can use), and mints again —
// so the caller always gets a plaintext and no duplicate key remains.
package openrouter

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/redact"
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// DefaultBaseURL is OpenRouter's API.
const DefaultBaseURL = "https://openrouter.ai/api/v1"

// DefaultTimeout bounds one HTTP request (one attempt) when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// userAgent names this client to OpenRouter.
const userAgent = "terraform-provider-launchpad"

// keyShape matches OpenRouter API and management keys (sk-or-v1-…): a key a server echoes is
// kept out of errors and log lines even when the client never knew it.
var keyShape = regexp.MustCompile(`sk-or-[A-Za-z0-9_-]+`)

// Config configures a Client.
type Config struct {
	// BaseURL is the API base ("" = https://openrouter.ai/api/v1; OPENROUTER_API_URL).
	BaseURL string
	// ManagementKey is the management (provisioning) key, sent as a Bearer token
	// (OPENROUTER_MANAGEMENT_KEY). It is never logged and never in an error.
	ManagementKey string
	// HTTPClient is optional (default: a new client on http.DefaultTransport).
	HTTPClient *http.Client
	// Retry bounds retries; the zero value means DefaultRetryPolicy.
	Retry RetryPolicy
	// Timeout bounds one request (one attempt); 0 means DefaultTimeout.
	Timeout time.Duration
	// Logger receives debug lines about requests and retries; nil discards them.
	Logger *slog.Logger
}

// Client is a launchpad.KeyIssuer on OpenRouter. It is safe for concurrent use.
type Client struct {
	base    string // without a trailing slash
	key     string
	http    *http.Client
	retry   RetryPolicy
	timeout time.Duration
	log     *slog.Logger
	redact  *redact.Redactor // the management key, and anything shaped like an OpenRouter key
	now     func() time.Time
	// sleep waits d or until ctx is done; tests replace it to record waits.
	sleep func(ctx context.Context, d time.Duration) error
}

var _ launchpad.KeyIssuer = (*Client)(nil)

// New returns a Client for c. It makes no request.
func New(c Config) (*Client, error) {
	if strings.TrimSpace(c.ManagementKey) == "" {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "no OpenRouter management key: set OPENROUTER_MANAGEMENT_KEY (or the provider's openrouter.management_key) to a management key from openrouter.ai/settings/provisioning-keys")
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "OpenRouter API URL %q is not valid: use an http(s) URL such as %s (OPENROUTER_API_URL / openrouter.base_url)", base, DefaultBaseURL)
	}
	u.RawQuery, u.Fragment = "", ""
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl := &Client{
		base:    strings.TrimSuffix(u.String(), "/"),
		key:     c.ManagementKey,
		http:    hc,
		retry:   c.Retry.WithDefaults(),
		timeout: c.Timeout,
		log:     log,
		redact:  redact.New(keyShape, c.ManagementKey),
		now:     time.Now,
		sleep:   retry.Sleep,
	}
	if cl.timeout <= 0 {
		cl.timeout = DefaultTimeout
	}
	return cl, nil
}
