package auth

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/ratelimit"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Config is what the service needs besides its dependencies. Every field is required: the
// control plane fills them from its own configuration and defaults.
type Config struct {
	// PublicURL is where users reach the control plane: the access tokens' issuer, and the
	// address the mails point to.
	PublicURL string
	// AccessTokenTTL, RefreshTokenTTL and MFATokenTTL are the lives of an access token, of a
	// refresh token (renewed at each rotation) and of the wait for a second factor.
	AccessTokenTTL, RefreshTokenTTL, MFATokenTTL time.Duration
	// Limits are the per-replica rate limits.
	Limits Limits
	// MailQueueSize is how many messages may wait for the mail server.
	MailQueueSize int
}

// Limits are the service's rate limits, per replica.
type Limits struct {
	CodesPerEmail ratelimit.Limit // sign-in codes, per address
	CodesPerIP    ratelimit.Limit // sign-in codes, per client IP
	VerifyPerIP   ratelimit.Limit // code guesses, per client IP
	MFAPerUser    ratelimit.Limit // TOTP and recovery-code guesses, per user
}

// Store is what the service keeps: users, sign-in codes, sessions and devices, and the
// audit log.
type Store interface {
	launchpad.UserStore
	launchpad.SignInStore
	launchpad.SessionStore
	launchpad.AuditStore
}

// Metrics counts what the service does (the control plane's Prometheus series).
type Metrics interface {
	// SignIn counts one sign-in step by outcome: code_sent, code_rate_limited, success,
	// mfa_required, wrong_code, locked_out, mfa_success, mfa_failed, refresh, refresh_reuse,
	// logout.
	SignIn(outcome string)
	// Mail counts one message by kind (signin_code, new_device) and result (sent, failed,
	// dropped).
	Mail(kind, result string)
}

// Deps are the service's collaborators.
type Deps struct {
	Store   Store
	Keyring *envelope.Keyring // seals TOTP secrets; derives the token and code keys
	Mailer  launchpad.Mailer
	Metrics Metrics
	Logger  *slog.Logger     // nil discards
	Now     func() time.Time // nil means time.Now
}

// Client is the other end of a request, as the front end that took it saw it. The service
// audits it and rate-limits by it; it never reads a request itself.
type Client struct {
	// IP is the client's address (the front end decides which proxies to believe).
	IP string
	// UserAgent is as the client sent it; the service cleans it up before it stores, shows
	// or mails it.
	UserAgent string
	// DeviceID is the random id the client keeps for this device (a cookie); the sign-in
	// steps record the device by it.
	DeviceID string
	// RequestID ties the service's log lines and queued mail to the request.
	RequestID string
}

// Service is sign-in and sessions. It is safe for concurrent use.
type Service struct {
	cfg      Config
	store    Store
	keyring  *envelope.Keyring
	metrics  Metrics
	log      *slog.Logger
	now      func() time.Time
	tokens   *tokenIssuer
	codeKeys []envelope.DerivedKey
	limits   limiters
	failures *failureTracker
	mail     *mailQueue
}

// limiters are the rate limits of Config.Limits.
type limiters struct {
	codesPerEmail *ratelimit.Keyed
	codesPerIP    *ratelimit.Keyed
	verifyPerIP   *ratelimit.Keyed
	mfaPerUser    *ratelimit.Keyed
}

// New builds the service and starts its mail queue; Close stops it. Errors are EINVALID and
// name every missing dependency and invalid setting.
func New(cfg Config, d Deps) (*Service, error) {
	var problems []string
	if d.Store == nil {
		problems = append(problems, "Deps.Store is nil")
	}
	if d.Keyring == nil {
		problems = append(problems, "Deps.Keyring is nil")
	}
	if d.Mailer == nil {
		problems = append(problems, "Deps.Mailer is nil")
	}
	if d.Metrics == nil {
		problems = append(problems, "Deps.Metrics is nil")
	}
	if cfg.AccessTokenTTL <= 0 || cfg.RefreshTokenTTL <= 0 || cfg.MFATokenTTL <= 0 {
		problems = append(problems, "Config.AccessTokenTTL, RefreshTokenTTL and MFATokenTTL must be positive")
	}
	if cfg.MailQueueSize <= 0 {
		problems = append(problems, "Config.MailQueueSize must be positive")
	}
	if len(problems) > 0 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the sign-in service cannot start:\n  - %s", strings.Join(problems, "\n  - "))
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{
		cfg:      cfg,
		store:    d.Store,
		keyring:  d.Keyring,
		metrics:  d.Metrics,
		log:      d.Logger,
		now:      d.Now,
		tokens:   &tokenIssuer{keys: d.Keyring.Derive("session-signing"), issuer: cfg.PublicURL, now: d.Now},
		codeKeys: d.Keyring.Derive("signin-code"),
		limits: limiters{
			codesPerEmail: ratelimit.New("sign-in codes for this address", cfg.Limits.CodesPerEmail),
			codesPerIP:    ratelimit.New("sign-in codes from this network address", cfg.Limits.CodesPerIP),
			verifyPerIP:   ratelimit.New("sign-in attempts from this network address", cfg.Limits.VerifyPerIP),
			mfaPerUser:    ratelimit.New("second-factor attempts for this account", cfg.Limits.MFAPerUser),
		},
		failures: newFailureTracker(),
		mail:     newMailQueue(d.Mailer, d.Logger.With("component", "mail"), d.Metrics, cfg.MailQueueSize),
	}, nil
}

// Close stops taking mail and waits until what is queued is sent or ctx ends; then it
// abandons the rest (logged as not delivered).
func (s *Service) Close(ctx context.Context) { s.mail.close(ctx) }

// Authenticate checks an access token and returns the user it was issued to. Every failure
// is EUNAUTHORIZED; the message says whether refreshing can help.
func (s *Service) Authenticate(accessToken string) (userID string, err error) {
	claims, err := s.tokens.parse(accessToken, audienceAccess)
	if err != nil {
		return "", err
	}
	return claims.Subject, nil
}

// logger is the service's logger for c's request.
func (s *Service) logger(c Client) *slog.Logger {
	if c.RequestID == "" {
		return s.log
	}
	return s.log.With(slog.String("request_id", c.RequestID))
}
