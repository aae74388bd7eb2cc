package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/ratelimit"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// SendVerificationRequest is the body of POST /api/auth/send-verification.
type SendVerificationRequest struct {
	Email string `json:"email"`
}

// SendVerificationResponse is its answer, the same for every well-formed address.
type SendVerificationResponse struct {
	Status string `json:"status"`
}

// handleSendVerification issues a sign-in code. Known and unknown addresses take the same
// path — rate limits, a fresh code, its MAC stored, the mail queued — and nothing looks the
// address up, so neither the answer nor its timing says whether an account exists (an
// unknown address simply becomes an account at its first successful verify).
func (s *Server) handleSendVerification(w http.ResponseWriter, r *http.Request, req *SendVerificationRequest) (*SendVerificationResponse, error) {
	ctx := r.Context()
	email, err := launchpad.NormalizeEmail(req.Email)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := ratelimit.TakeAll(now, ratelimit.Key{Limiter: s.limits.codesPerIP, Key: requestInfoFrom(ctx).ClientIP}, ratelimit.Key{Limiter: s.limits.codesPerEmail, Key: email}); err != nil {
		s.metrics.signIn("code_rate_limited")
		return nil, err
	}
	code := newSignInCode()
	err = s.store.PutSignInCode(ctx, &launchpad.SignInCode{
		Email:     email,
		HMAC:      signInCodeMAC(s.codeKeys[0].Key, email, code),
		CreatedAt: now,
		ExpiresAt: now.Add(launchpad.SignInCodeTTL),
	})
	if err != nil {
		return nil, err
	}
	s.failures.reset(email)
	if err := s.mail.enqueue(ctx, "signin_code", signInCodeMail(email, code, s.cfg.PublicURL)); err != nil {
		return nil, err
	}
	s.metrics.signIn("code_sent")
	return &SendVerificationResponse{Status: "sent"}, nil
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

// VerifyRequest is the body of POST /api/auth/verify.
type VerifyRequest struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// TokenResponse ends a sign-in: either tokens, or the demand for a second factor.
type TokenResponse struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in,omitempty"` // seconds until the access token expires
	MFARequired  bool   `json:"mfa_required,omitempty"`
	MFAToken     string `json:"mfa_token,omitempty"`
}

// handleVerify checks an emailed code. The store counts the attempt before comparing, in one
// transaction, so at most launchpad.SignInCodeMaxAttempts guesses are ever compared per code,
// however many replicas and parallel requests there are; the sixth is refused even when right.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, req *VerifyRequest) (*TokenResponse, error) {
	ctx := r.Context()
	email, err := launchpad.NormalizeEmail(req.Email)
	if err != nil {
		return nil, err
	}
	code, err := normalizeCode(req.Code)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := s.limits.verifyPerIP.Take(requestInfoFrom(ctx).ClientIP, now); err != nil {
		return nil, err
	}
	_, err = s.store.VerifySignInCode(ctx, email, now, launchpad.SignInCodeMaxAttempts, s.codeMatcher(email, code))
	switch launchpad.ErrorCode(err) {
	case "":
	case launchpad.ENOTFOUND, launchpad.EINVALID:
		s.metrics.signIn("wrong_code")
		if err := s.auditCodeFailure(ctx, email, now); err != nil {
			return nil, err
		}
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the code is wrong, expired or already used; enter the latest code we emailed, or request a new one")
	case launchpad.ERATELIMITED:
		s.metrics.signIn("locked_out")
		if err := s.auditLockout(ctx, email, now); err != nil {
			return nil, err
		}
		return nil, &launchpad.Error{
			Code:       launchpad.ERATELIMITED,
			Message:    "too many wrong codes for this address; request a new code",
			RetryAfter: max(time.Second, s.limits.codesPerEmail.Wait(email, now)),
		}
	default:
		return nil, err
	}
	s.failures.reset(email)

	u, created, err := launchpad.EnsureUserByEmail(ctx, s.store, email)
	if err != nil {
		return nil, err
	}
	d := s.device(w, r) // set the device cookie now, so the MFA step sees the same device
	if u.MFA.Enabled() {
		tok, err := s.tokens.sign(audienceMFA, u.ID, "", s.cfg.MFATokenTTL)
		if err != nil {
			return nil, err
		}
		s.metrics.signIn("mfa_required")
		return &TokenResponse{MFARequired: true, MFAToken: tok}, nil
	}
	return s.completeSignIn(ctx, u, d, signInMethod{email: true, created: created})
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
func (s *Server) completeSignIn(ctx context.Context, u *launchpad.User, d device, m signInMethod) (*TokenResponse, error) {
	now := s.now()
	newDevice, err := s.checkDevice(ctx, u, d, now)
	if err != nil {
		return nil, err
	}
	details := map[string]string{
		"method":     m.String(),
		"ip":         requestInfoFrom(ctx).ClientIP,
		"device":     d.shortID(),
		"new_device": strconv.FormatBool(newDevice),
	}
	if m.created {
		details["account_created"] = "true"
	}
	if err := s.audit(ctx, u.ID, launchpad.UserActor(u.ID), launchpad.AuditSignIn, "", details); err != nil {
		return nil, err
	}
	resp, err := s.startSession(ctx, u.ID, d, now)
	if err != nil {
		return nil, err
	}
	s.metrics.signIn("success")
	return resp, nil
}
