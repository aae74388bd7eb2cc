package auth

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/ratelimit"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// SignIn ends a sign-in step: a new session (AccessToken, RefreshToken), or — when the
// account has a second factor — only MFAToken, good for VerifySecondFactor and nothing else.
// Refresh answers the same way, always with a session.
type SignIn struct {
	AccessToken  string
	RefreshToken string
	// AccessTokenTTL is how long AccessToken is valid.
	AccessTokenTTL time.Duration
	MFAToken       string
}

// SendCode issues a sign-in code for email and queues the mail. Known and unknown addresses
// take the same path — rate limits, a fresh code, its MAC stored, the mail queued — and
// nothing looks the address up, so neither the answer nor its timing says whether an
// account exists (an unknown address simply becomes an account at its first VerifyCode).
//
// Errors: EINVALID for a malformed address; ERATELIMITED per address and per c.IP's network
// (ratelimit.NetworkKey: IPv6 per /64);
// EUNAVAILABLE when the mail queue is full or closing.
func (s *Service) SendCode(ctx context.Context, c Client, email string) error {
	// The code goes to the canonical address: a look-alike's code reaches the mailbox of the
	// account it would sign in to.
	email, err := launchpad.CanonicalEmail(email)
	if err != nil {
		return err
	}
	return s.sendCode(ctx, c, email, "signin_code", signInCodeMail)
}

// sendCode issues a code for a normalised address under the rate limits and queues the mail
// mail writes (of kind, for the metrics).
func (s *Service) sendCode(ctx context.Context, c Client, email, kind string, mail func(to, code, publicURL string) launchpad.Message) error {
	now := s.now()
	if err := ratelimit.TakeAll(now, ratelimit.Key{Limiter: s.limits.codesPerIP, Key: ratelimit.NetworkKey(c.IP)}, ratelimit.Key{Limiter: s.limits.codesPerEmail, Key: email}); err != nil {
		s.metrics.SignIn("code_rate_limited")
		return err
	}
	code := newSignInCode()
	err := s.store.PutSignInCode(ctx, &launchpad.SignInCode{
		Email:     email,
		HMAC:      signInCodeMAC(s.codeKeys[0].Key, email, code),
		CreatedAt: now,
		ExpiresAt: now.Add(launchpad.SignInCodeTTL),
	})
	if err != nil {
		return err
	}
	s.failures.reset(email)
	if err := s.mail.enqueue(kind, c.RequestID, mail(email, code, s.cfg.PublicURL)); err != nil {
		return err
	}
	s.metrics.SignIn("code_sent")
	return nil
}

// signInCodeMail puts the code in the body only: subjects show in notifications, lock
// screens and mail-server logs.
func signInCodeMail(to, code, publicURL string) launchpad.Message {
	return launchpad.Message{
		To:      to,
		Subject: "Your Launchpad sign-in code",
		Text: fmt.Sprintf("Your Launchpad sign-in code is:\n\n    %s\n\n"+
			"It works once, for %d minutes, at %s.\n\n"+
			"If you did not try to sign in, ignore this email: nobody can sign in without the code.\n",
			code, int(launchpad.SignInCodeTTL.Minutes()), publicURL),
	}
}

// VerifyCode checks an emailed code and signs in from c's device, or asks for the second
// factor. The store counts the attempt before comparing, in one transaction, so at most
// launchpad.SignInCodeMaxAttempts guesses are ever compared per code, however many replicas
// and parallel requests there are; the sixth is refused even when right. An address without
// an account gets one.
//
// Errors: EINVALID for a malformed address or code; EUNAUTHORIZED for a wrong, expired or
// used code; ERATELIMITED per c.IP's network (IPv6 per /64), and once the code's guesses are spent.
func (s *Service) VerifyCode(ctx context.Context, c Client, typed, code string) (*SignIn, error) {
	email, err := launchpad.CanonicalEmail(typed)
	if err != nil {
		return nil, err
	}
	code, err = normalizeCode(code)
	if err != nil {
		return nil, err
	}
	if err := s.checkEmailCode(ctx, c, email, code); err != nil {
		return nil, err
	}

	// The address as typed, so an account not yet rewritten by `emails --migrate` is found.
	u, created, err := launchpad.EnsureUserByEmail(ctx, s.store, typed)
	if err != nil {
		return nil, err
	}
	if secondFactorRequired(u.MFA) {
		tok, err := s.tokens.sign(audienceMFA, u.ID, "", time.Time{}, s.cfg.MFATokenTTL)
		if err != nil {
			return nil, err
		}
		s.metrics.SignIn("mfa_required")
		return &SignIn{MFAToken: tok}, nil
	}
	return s.completeSignIn(ctx, c, u, signInMethod{email: true, created: created})
}

// checkEmailCode spends the emailed code of a normalised address (code normalised too), under
// the per-IP limit and the store's cap on guesses, auditing bursts of failures and lockouts.
//
// Errors: EUNAUTHORIZED for a wrong, expired or used code; ERATELIMITED per c.IP's network
// (IPv6 per /64), and once the code's guesses are spent.
func (s *Service) checkEmailCode(ctx context.Context, c Client, email, code string) error {
	now := s.now()
	if err := s.limits.verifyPerIP.Take(ratelimit.NetworkKey(c.IP), now); err != nil {
		return err
	}
	_, err := s.store.VerifySignInCode(ctx, email, now, launchpad.SignInCodeMaxAttempts, s.codeMatcher(email, code))
	switch launchpad.ErrorCode(err) {
	case "":
	case launchpad.ENOTFOUND, launchpad.EINVALID:
		s.metrics.SignIn("wrong_code")
		if err := s.auditCodeFailure(ctx, c, email, now); err != nil {
			return err
		}
		return launchpad.Errorf(launchpad.EUNAUTHORIZED, "the code is wrong, expired or already used; enter the latest code we emailed, or request a new one")
	case launchpad.ERATELIMITED:
		s.metrics.SignIn("locked_out")
		if err := s.auditLockout(ctx, c, email, now); err != nil {
			return err
		}
		return &launchpad.Error{
			Code:       launchpad.ERATELIMITED,
			Message:    "too many wrong codes for this address; request a new code",
			RetryAfter: max(time.Second, s.limits.codesPerEmail.Wait(email, now)),
		}
	default:
		return err
	}
	s.failures.reset(email)
	return nil
}

// signInMethod says how a sign-in was proven, for the audit event.
type signInMethod struct {
	email    bool
	totp     bool
	recovery bool
	created  bool // the account was created by this sign-in
}

func (m signInMethod) String() string {
	switch {
	case m.totp:
		return "email_code+totp"
	case m.recovery:
		return "email_code+recovery_code"
	default:
		return "email_code"
	}
}

// completeSignIn records the device (alerting when it is new), audits the sign-in and starts
// a session. The audit is written before any token is handed out: a sign-in that cannot be
// audited does not happen.
func (s *Service) completeSignIn(ctx context.Context, c Client, u *launchpad.User, m signInMethod) (*SignIn, error) {
	now := s.now()
	d := deviceOf(c)
	newDevice, err := s.checkDevice(ctx, c, u, d, now)
	if err != nil {
		return nil, err
	}
	details := map[string]string{
		"method":     m.String(),
		"ip":         c.IP,
		"device":     d.shortID(),
		"new_device": strconv.FormatBool(newDevice),
	}
	if m.created {
		details["account_created"] = "true"
	}
	if err := s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditSignIn, "", details); err != nil {
		return nil, err
	}
	res, err := s.startSession(ctx, c, u.ID, d, now)
	if err != nil {
		return nil, err
	}
	s.metrics.SignIn("success")
	return res, nil
}
