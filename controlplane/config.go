package controlplane

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/ratelimit"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Config is what the server needs besides its dependencies (Deps). RunServe fills it from
// environment variables and flags; tests build it directly. Zero fields get the defaults
// documented on each.
type Config struct {
	// Addr is the listen address (LAUNCHPAD_ADDR); default 127.0.0.1:8080. Port 0 picks a
	// free port (see Server.Addr).
	Addr string
	// PublicURL is where clients reach the server (LAUNCHPAD_PUBLIC_URL); default
	// http://{Addr}. It is the access tokens' issuer and, when https, makes cookies Secure.
	PublicURL string
	// AdminToken is the bearer token of /api/admin/* (LAUNCHPAD_ADMIN_TOKEN); empty
	// disables the admin API. At least 32 characters.
	AdminToken string
	// MetricsToken, when set, is the bearer token GET /metrics requires
	// (LAUNCHPAD_METRICS_TOKEN); empty leaves /metrics open to whoever reaches it. At least 32
	// characters.
	MetricsToken string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed
	// (LAUNCHPAD_TRUSTED_PROXIES). Empty: the client IP is the TCP peer, and the header is
	// ignored, since any client can send it.
	TrustedProxies []netip.Prefix

	// AccessTokenTTL is the life of an access token; default 15 minutes. Logging out (and
	// every other revocation) refuses the session's access tokens within
	// auth.FamilyCacheTTL on every replica, whatever their expiry.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the life of a refresh token, renewed at each rotation; default 30 days.
	RefreshTokenTTL time.Duration
	// MFATokenTTL is how long a sign-in may wait for its second factor; default 5 minutes.
	MFATokenTTL time.Duration
	// StepUpWindow is how recent a sign-in or step-up must be for the security-sensitive
	// actions (LAUNCHPAD_STEP_UP_WINDOW; auth.Service.RequireStepUp); default 5 minutes.
	StepUpWindow time.Duration

	// Limits are the per-replica rate limits; zero fields get DefaultLimits' values.
	Limits Limits

	// MaxBodyBytes caps JSON request bodies; default 64 KiB.
	MaxBodyBytes int64
	// ShutdownTimeout is how long Close waits for in-flight requests and queued mail;
	// default 20 s.
	ShutdownTimeout time.Duration
	// MailQueueSize is how many messages may wait for the mail server; default 256.
	MailQueueSize int
}

// Limits are token-bucket rate limits (golang.org/x/time/rate). They are kept in memory by
// each replica, so N replicas behind a load balancer allow up to N times as much; the cap of
// launchpad.SignInCodeMaxAttempts guesses per code is kept in the store and holds across
// replicas.
type Limits struct {
	CodesPerEmail RateLimit // POST /api/auth/send-verification, per address
	CodesPerIP    RateLimit // POST /api/auth/send-verification, per client IP
	VerifyPerIP   RateLimit // POST /api/auth/verify, per client IP
	MFAPerUser    RateLimit // TOTP and recovery-code guesses, per user
	// KeyRotationsPerUser: POST /api/me/rotate-key, per user (each is an apply and a new key).
	KeyRotationsPerUser RateLimit
}

// RateLimit allows Burst requests at once and then one every Every (package ratelimit).
type RateLimit = ratelimit.Limit

// DefaultLimits returns the limits used for zero fields of Config.Limits: three codes per
// address at once and then one every two minutes; twenty per client IP and then one every
// ten seconds; thirty code checks per client IP and then one every two seconds; five second-
// factor guesses per user and then one a minute; three key rotations a user asks for and then
// one every ten minutes.
func DefaultLimits() Limits {
	return Limits{
		CodesPerEmail:       RateLimit{Every: 2 * time.Minute, Burst: 3},
		CodesPerIP:          RateLimit{Every: 10 * time.Second, Burst: 20},
		VerifyPerIP:         RateLimit{Every: 2 * time.Second, Burst: 30},
		MFAPerUser:          RateLimit{Every: time.Minute, Burst: 5},
		KeyRotationsPerUser: RateLimit{Every: 10 * time.Minute, Burst: 3},
	}
}

// Defaults.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultAccessTokenTTL  = 15 * time.Minute
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	DefaultMFATokenTTL     = 5 * time.Minute
	DefaultStepUpWindow    = 5 * time.Minute
	// MinStepUpWindow and MaxStepUpWindow bound LAUNCHPAD_STEP_UP_WINDOW: shorter leaves no
	// time to act after confirming; longer is hardly a recent sign-in.
	MinStepUpWindow        = 30 * time.Second
	MaxStepUpWindow        = time.Hour
	DefaultMaxBodyBytes    = 64 << 10
	DefaultShutdownTimeout = 20 * time.Second
	DefaultMailQueueSize   = 256
	// MinAdminTokenLength keeps the admin token out of guessing range.
	MinAdminTokenLength = 32
)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	setDuration(&c.AccessTokenTTL, DefaultAccessTokenTTL)
	setDuration(&c.RefreshTokenTTL, DefaultRefreshTokenTTL)
	setDuration(&c.MFATokenTTL, DefaultMFATokenTTL)
	setDuration(&c.StepUpWindow, DefaultStepUpWindow)
	setDuration(&c.ShutdownTimeout, DefaultShutdownTimeout)
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MailQueueSize <= 0 {
		c.MailQueueSize = DefaultMailQueueSize
	}
	def := DefaultLimits()
	setLimit(&c.Limits.CodesPerEmail, def.CodesPerEmail)
	setLimit(&c.Limits.CodesPerIP, def.CodesPerIP)
	setLimit(&c.Limits.VerifyPerIP, def.VerifyPerIP)
	setLimit(&c.Limits.MFAPerUser, def.MFAPerUser)
	setLimit(&c.Limits.KeyRotationsPerUser, def.KeyRotationsPerUser)
	return c
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func setLimit(l *RateLimit, def RateLimit) {
	if l.Off {
		return
	}
	if l.Every <= 0 {
		l.Every = def.Every
	}
	if l.Burst <= 0 {
		l.Burst = def.Burst
	}
}

// problems lists every invalid field of c (after defaults), each naming its environment
// variable and what a valid value looks like. Secret values are never quoted.
func (c Config) problems() []string {
	var out []string
	if host, port, err := net.SplitHostPort(c.Addr); err != nil {
		out = append(out, fmt.Sprintf("LAUNCHPAD_ADDR %q is not host:port (for example 127.0.0.1:8080 or :8080)", c.Addr))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		out = append(out, fmt.Sprintf("LAUNCHPAD_ADDR %q has no valid port (0-65535)", c.Addr))
	} else if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, "/ ") {
		out = append(out, fmt.Sprintf("LAUNCHPAD_ADDR %q has an invalid host", c.Addr))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		out = append(out, fmt.Sprintf("LAUNCHPAD_PUBLIC_URL %q is not an http(s) URL like https://launchpad.example.com", c.PublicURL))
	}
	if c.AdminToken != "" && len(c.AdminToken) < MinAdminTokenLength {
		out = append(out, fmt.Sprintf("LAUNCHPAD_ADMIN_TOKEN is %d characters; it needs at least %d (for example `openssl rand -hex 32`), or leave it unset to disable the admin API", len(c.AdminToken), MinAdminTokenLength))
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < MinAdminTokenLength {
		out = append(out, fmt.Sprintf("LAUNCHPAD_METRICS_TOKEN is %d characters; it needs at least %d (for example `openssl rand -hex 32`), or leave it unset to leave /metrics open", len(c.MetricsToken), MinAdminTokenLength))
	}
	return out
}

// authConfig is the part of c the auth service takes.
func (c Config) authConfig() auth.Config {
	return auth.Config{
		PublicURL:      c.PublicURL,
		AccessTokenTTL: c.AccessTokenTTL, RefreshTokenTTL: c.RefreshTokenTTL, MFATokenTTL: c.MFATokenTTL,
		StepUpWindow: c.StepUpWindow,
		Limits: auth.Limits{
			CodesPerEmail: c.Limits.CodesPerEmail, CodesPerIP: c.Limits.CodesPerIP,
			VerifyPerIP: c.Limits.VerifyPerIP, MFAPerUser: c.Limits.MFAPerUser,
		},
		MailQueueSize: c.MailQueueSize,
	}
}

// ParseStepUpWindow parses LAUNCHPAD_STEP_UP_WINDOW: a Go duration from MinStepUpWindow to
// MaxStepUpWindow; empty is the default.
func ParseStepUpWindow(s string) (time.Duration, error) {
	if s = strings.TrimSpace(s); s == "" {
		return DefaultStepUpWindow, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < MinStepUpWindow || d > MaxStepUpWindow {
		return 0, fmt.Errorf("LAUNCHPAD_STEP_UP_WINDOW %q is not a duration from %s to %s such as 5m (default %s)", launchpad.Clip(s, 20), MinStepUpWindow, MaxStepUpWindow, DefaultStepUpWindow)
	}
	return d, nil
}

// isHTTPS reports whether the public URL is https, which makes cookies Secure.
func (c Config) isHTTPS() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// ParseTrustedProxies parses a comma-separated list of IP addresses and CIDR prefixes
// (LAUNCHPAD_TRUSTED_PROXIES).
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("LAUNCHPAD_TRUSTED_PROXIES entry %q is neither an IP address nor a CIDR prefix like 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// String shows the configuration with the admin token redacted, so a Config that reaches a
// log line or an error leaks nothing.
func (c Config) String() string {
	type plain Config // no String method: no recursion
	if c.AdminToken != "" {
		c.AdminToken = "[redacted]"
	}
	if c.MetricsToken != "" {
		c.MetricsToken = "[redacted]"
	}
	return fmt.Sprintf("%+v", plain(c))
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }
