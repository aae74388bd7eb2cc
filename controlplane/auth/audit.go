package auth

import (
	"context"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// audit appends one event to stream. Callers treat a failure as the failure of what they were
// doing: an action that cannot be audited is not done.
func (s *Service) audit(ctx context.Context, c Client, stream, actor, action, target string, details map[string]string) error {
	_, err := s.store.AppendAudit(ctx, &launchpad.AuditEvent{
		Stream:  stream,
		Time:    s.now(),
		Actor:   actor,
		Action:  action,
		Target:  target,
		Details: details,
	})
	if err != nil {
		s.logger(c).Error("audit event not written", "action", action, "stream", stream, "error", err.Error())
		return launchpad.Wrapf(err, "writing the audit log")
	}
	return nil
}

// auditStreamForEmail is the user's stream when the address has an account, else the
// platform stream with the address as target.
func (s *Service) auditStreamForEmail(ctx context.Context, email string) (stream, target string, err error) {
	u, err := launchpad.FindUserByEmail(ctx, s.store, email)
	switch {
	case err == nil:
		return u.ID, "email:" + email, nil
	case launchpad.IsNotFound(err):
		return launchpad.PlatformStream, "email:" + email, nil
	default:
		return "", "", err
	}
}

// auditCodeFailure audits a burst of wrong codes for email (one event at the threshold).
func (s *Service) auditCodeFailure(ctx context.Context, c Client, email string, now time.Time) error {
	n := s.failures.fail(email, now)
	if n == 0 {
		return nil
	}
	stream, target, err := s.auditStreamForEmail(ctx, email)
	if err != nil {
		return err
	}
	return s.audit(ctx, c, stream, launchpad.ActorSystem, launchpad.AuditSignInFailed, target, map[string]string{
		"failures": strconv.Itoa(n),
		"ip":       c.IP,
	})
}

// auditLockout audits the first refused attempt after a code's attempts ran out.
func (s *Service) auditLockout(ctx context.Context, c Client, email string, now time.Time) error {
	if !s.failures.lockout(email, now) {
		return nil
	}
	stream, target, err := s.auditStreamForEmail(ctx, email)
	if err != nil {
		return err
	}
	return s.audit(ctx, c, stream, launchpad.ActorSystem, launchpad.AuditLockout, target, map[string]string{
		"max_attempts": strconv.Itoa(launchpad.SignInCodeMaxAttempts),
		"ip":           c.IP,
	})
}
