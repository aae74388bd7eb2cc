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
	// StepUpWindow is how recent a sign-in (or step-up) must be for the security-sensitive
	// actions (RequireStepUp).
	StepUpWindow time.Duration
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

// Store is what the service keeps: users (and the key material their TOTP secrets are sealed
// under), sign-in codes, sessions and devices, and the audit log.
type Store interface {
	launchpad.UserStore
	launchpad.UserKeyStore
	launchpad.SignInStore
	launchpad.SessionStore
	launchpad.AuditStore
}

// Metrics counts what the service does (the control plane's Prometheus series).
type Metrics interface {
	// SignIn counts one sign-in step by outcome: code_sent, code_rate_limited, success,
	// mfa_required, wrong_code, locked_out, mfa_success, mfa_failed, mfa_token_reused,
	// refresh, refresh_reuse, logout, step_up, step_up_required.
	SignIn(outcome string)
	// Mail counts one message by kind (signin_code, step_up_code, new_device, mfa_enabled,
	// mfa_disabled) and result (sent, failed, dropped).
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
	sealer   *envelope.Sealer // seals TOTP secrets under the user's key material too
	metrics  Metrics
	log      *slog.Logger
	now      func() time.Time
	tokens   *tokenIssuer
	codeKeys []envelope.DerivedKey
	limits   limiters
	failures *failureTracker
	mail     *mailQueue
	families *familyCache
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
	if cfg.AccessTokenTTL <= 0 || cfg.RefreshTokenTTL <= 0 || cfg.MFATokenTTL <= 0 || cfg.StepUpWindow <= 0 {
		problems = append(problems, "Config.AccessTokenTTL, RefreshTokenTTL, MFATokenTTL and StepUpWindow must be positive")
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
		sealer:   envelope.NewSealer(d.Keyring, d.Store),
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
		families: newFamilyCache(FamilyCacheTTL),
	}, nil
}

// Close stops taking mail and waits until what is queued is sent or ctx ends; then it
// abandons the rest (logged as not delivered).
func (s *Service) Close(ctx context.Context) { s.mail.close(ctx) }

// Authenticate checks an access token — its signature and claims, and that its session
// family is still signed in — and returns the caller it proves. The family is read from the
// store at most once per FamilyCacheTTL per replica, so a token of a family signed out
// anywhere (logout, refresh-token reuse, sign-out-everywhere, two-factor turned on) is
// refused everywhere within that time. The session's use from c is recorded (Seen). Errors
// are EUNAUTHORIZED, whose message says whether refreshing can help, or the store's when it
// cannot be read.
func (s *Service) Authenticate(ctx context.Context, c Client, accessToken string) (Caller, error) {
	claims, err := s.tokens.parse(accessToken, audienceAccess)
	if err != nil {
		return Caller{}, err
	}
	if claims.Family == "" {
		return Caller{}, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the token is not valid; sign in again")
	}
	sess, err := s.currentSession(ctx, claims.Family)
	if err != nil {
		return Caller{}, err
	}
	if sess == nil || sess.UserID != claims.Subject || !sess.SignedIn(s.now()) {
		return Caller{}, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this session was signed out; sign in again")
	}
	s.Seen(ctx, c, sess)
	who := Caller{UserID: claims.Subject, FamilyID: claims.Family, AuthTime: sess.AuthTime}
	// A step-up on another replica reaches this one's cache within its TTL; the fresh token
	// that step-up returned says so at once.
	if claims.AuthTime != nil && claims.AuthTime.After(who.AuthTime) {
		who.AuthTime = claims.AuthTime.Time
	}
	return who, nil
}

// currentSession is the family's current session, from the cache or the store; nil when the
// store knows no session of the family.
func (s *Service) currentSession(ctx context.Context, family string) (*launchpad.Session, error) {
	if sess, ok := s.families.get(family); ok {
		return sess, nil
	}
	fetched := s.families.wall()
	sess, err := s.store.GetCurrentSession(ctx, family)
	switch {
	case launchpad.IsNotFound(err):
		sess = nil
	case err != nil:
		return nil, err
	}
	s.families.put(family, sess, fetched)
	return sess, nil
}

// logger is the service's logger for c's request.
func (s *Service) logger(c Client) *slog.Logger {
	if c.RequestID == "" {
		return s.log
	}
	return s.log.With(slog.String("request_id", c.RequestID))
}
