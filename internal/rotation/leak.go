package rotation

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// The leak response: what `rotate-secret --rotate-keys` does after the re-seal, when the old
// PLATFORM_SECRET may have leaked. Re-sealing protects what is written from now on, but
// whoever holds the old secret and a copy of the store (a backup, a snapshot) can still open
// every credential sealed before: so each user's OpenRouter sub-key is replaced (minted,
// delivered to the user's tenants, and only then the old one revoked at OpenRouter, as
// subkey.Service.Rotate does for the control plane's rotate-key), and each confirmed TOTP
// factor is marked for re-enrolment (MFA.ReenrolRequired; the sign-in then refuses codes from
// it) with an email to the user.
//
// Resuming: the first write for a user records the new key id in
// TenantControl.LeakResponseKeyID together with the bumped key rotation generation and the
// factor's mark, in one transaction. A user whose mark equals the current key id is only
// finished: a sub-key older than the recorded generation is rotated (Rotate itself resumes
// with the key it already minted). So a run killed anywhere is finished by running it again,
// and a complete run run again changes nothing. The email goes out before the mark is written,
// so a crash between the two sends it twice rather than never.

// LeakConfig holds what a leak response needs besides the store.
type LeakConfig struct {
	Store   launchpad.Store
	Keyring *envelope.Keyring // the new secret, with the old one as previous
	// Issuer mints and revokes sub-keys (OPENROUTER_MANAGEMENT_KEY); needed when any user
	// holds one.
	Issuer launchpad.KeyIssuer
	// Runtime delivers new keys to tenants (FLY_API_TOKEN, FLY_ORG); needed when any tenant
	// runs on a sub-key.
	Runtime launchpad.Runtime
	// Mailer tells users their factor must be enrolled again; nil when SMTP is not
	// configured: the result then lists whom to tell.
	Mailer launchpad.Mailer
	// PublicURL is the dashboard's address, named in the email.
	PublicURL string
	// BatchSize, Actor, Progress, AfterUser and Logger as in Options.
	BatchSize int
	Actor     string
	Progress  func(LeakResult)
	AfterUser func(handled int)
	Logger    *slog.Logger
}

// LeakResult counts what a leak response did in this run.
type LeakResult struct {
	UsersScanned int
	// KeysRotated counts sub-keys replaced (old one revoked) in this run.
	KeysRotated int
	// FactorsMarked counts TOTP factors marked for re-enrolment in this run; Mailed those
	// users who were emailed.
	FactorsMarked int
	Mailed        int
	// ToTell lists the users marked in this run who were not emailed (no SMTP, no address,
	// or the mail failed): the operator tells them another way. Never a secret.
	ToTell []Unmailed
	// Complete is true when every user was visited and nothing is left to rotate.
	Complete bool
}

// Unmailed is a user to tell about the re-enrolment, and why they were not emailed.
type Unmailed struct {
	UserID, Email, Reason string
}

// RespondToLeak rotates every sub-key and marks every TOTP factor for re-enrolment, under
// cfg.Keyring's current key id (see the comment above), then writes one
// platform.leak_response audit event. A store, OpenRouter or Fly error stops the run and is
// returned with the counts so far; running it again resumes.
func RespondToLeak(ctx context.Context, cfg LeakConfig) (LeakResult, error) {
	l := &leak{cfg: cfg, keyID: cfg.Keyring.CurrentKeyID()}
	if l.cfg.BatchSize <= 0 {
		l.cfg.BatchSize = DefaultBatchSize
	}
	if l.cfg.Actor == "" {
		l.cfg.Actor = launchpad.ActorSystem
	}
	if l.cfg.Logger == nil {
		l.cfg.Logger = slog.New(slog.DiscardHandler)
	}
	l.keys = subkey.NewService(subkey.Config{Store: cfg.Store, Issuer: cfg.Issuer, Keyring: cfg.Keyring, Runtime: cfg.Runtime})
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return l.result(), interrupted(err)
		}
		page, err := cfg.Store.ListUsers(ctx, after, l.cfg.BatchSize)
		if err != nil {
			return l.result(), launchpad.Wrapf(err, "listing users after %q", after)
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			if err := l.user(ctx, u); err != nil {
				if ctx.Err() != nil {
					return l.result(), interrupted(ctx.Err())
				}
				return l.result(), launchpad.Wrapf(err, "leak response for user %s (run rotate-secret --rotate-keys again to resume)", u.ID)
			}
			l.handled()
		}
		after = page[len(page)-1].ID
	}
	res := l.result()
	res.Complete = true
	if err := l.auditDone(ctx, res); err != nil {
		return res, launchpad.Wrapf(err, "every user was handled, but the platform.leak_response audit event could not be written")
	}
	return res, nil
}

// leak is one leak response's state.
type leak struct {
	cfg   LeakConfig
	keyID string
	keys  *subkey.Service

	mu      sync.Mutex
	res     LeakResult
	handles int
}

func (l *leak) result() LeakResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	res := l.res
	res.ToTell = append([]Unmailed(nil), l.res.ToTell...)
	return res
}

func (l *leak) count(f func(*LeakResult)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(&l.res)
}

func (l *leak) handled() {
	l.mu.Lock()
	l.res.UsersScanned++
	l.handles++
	res, n := l.res, l.handles
	l.mu.Unlock()
	if l.cfg.Progress != nil {
		l.cfg.Progress(res)
	}
	if l.cfg.AfterUser != nil {
		l.cfg.AfterUser(n)
	}
}

// user starts the response for one user if it has not started under this key id, then
// finishes its key rotation.
func (l *leak) user(ctx context.Context, listed *launchpad.User) error {
	if listed.Control.LeakResponseKeyID != l.keyID {
		if err := l.mark(ctx, listed); err != nil {
			return err
		}
	}
	return l.rotateKeys(ctx, listed.ID)
}

// mark tells the user (if their factor is to be marked), then records in one write the key
// rotation generation to reach, the factor's mark and this key id.
func (l *leak) mark(ctx context.Context, listed *launchpad.User) error {
	keyGen := int64(0)
	if listed.OpenRouterKeyHash != "" {
		k, err := l.cfg.Store.GetSubKey(ctx, listed.OpenRouterKeyHash)
		if err != nil && !launchpad.IsNotFound(err) {
			return err
		}
		if k != nil {
			keyGen = k.RotationGeneration
		}
	}
	var told *Unmailed
	mailed := false
	if listed.MFA.Enabled() && !listed.MFA.ReenrolRequired {
		mailed, told = l.tell(ctx, listed)
	}
	var marked bool
	_, err := l.cfg.Store.UpdateUser(ctx, listed.ID, func(u *launchpad.User) error {
		if u.Control.LeakResponseKeyID == l.keyID {
			return errNoChange // another run got there first
		}
		u.Control.LeakResponseKeyID = l.keyID
		if u.OpenRouterKeyHash != "" {
			// Above both the control plane's generation and the key's own, so the key in
			// hand is older than the one the rotation makes, whoever manages it.
			u.Control.KeyRotationGeneration = max(u.Control.KeyRotationGeneration, keyGen) + 1
		}
		marked = u.MFA.Enabled() && !u.MFA.ReenrolRequired
		if marked {
			u.MFA.ReenrolRequired = true
		}
		return nil
	})
	switch {
	case errors.Is(err, errNoChange), launchpad.IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	if !marked {
		return nil
	}
	l.count(func(r *LeakResult) {
		r.FactorsMarked++
		if mailed {
			r.Mailed++
		}
		if told != nil {
			r.ToTell = append(r.ToTell, *told)
		}
	})
	_, err = l.cfg.Store.AppendAudit(ctx, &launchpad.AuditEvent{
		Stream: listed.ID, Actor: l.cfg.Actor, Action: launchpad.AuditMFAReenrolRequired, Target: "totp",
		Details: map[string]string{"reason": "platform_secret_leak", "key_id": l.keyID, "mailed": strconv.FormatBool(mailed)},
	})
	return err
}

// tell emails the user that their factor must be enrolled again; without a mailer or an
// address, or when the mail fails, it says whom the operator must tell instead.
func (l *leak) tell(ctx context.Context, u *launchpad.User) (mailed bool, told *Unmailed) {
	switch {
	case l.cfg.Mailer == nil:
		return false, &Unmailed{UserID: u.ID, Email: u.Email, Reason: "SMTP is not configured (LAUNCHPAD_SMTP_URL)"}
	case u.Email == "":
		return false, &Unmailed{UserID: u.ID, Reason: "the user has no email address"}
	}
	if err := l.cfg.Mailer.Send(ctx, reenrolMail(u.Email, l.cfg.PublicURL)); err != nil {
		l.cfg.Logger.Warn("re-enrolment email not sent", "user", u.ID, "error", launchpad.ErrorMessage(err))
		return false, &Unmailed{UserID: u.ID, Email: u.Email, Reason: "the email failed: " + launchpad.ErrorMessage(err)}
	}
	return true, nil
}

// rotateKeys replaces every sub-key of the user older than the generation the mark recorded.
func (l *leak) rotateKeys(ctx context.Context, userID string) error {
	u, err := l.cfg.Store.GetUser(ctx, userID)
	if launchpad.IsNotFound(err) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if u.Control.LeakResponseKeyID != l.keyID {
		return nil
	}
	keys, err := l.cfg.Store.ListSubKeys(ctx, launchpad.SubKeyFilter{UserID: userID})
	if err != nil {
		return err
	}
	gen := u.Control.KeyRotationGeneration
	for _, k := range keys {
		if k.RotationGeneration >= gen {
			continue
		}
		if l.cfg.Issuer == nil {
			return launchpad.Errorf(launchpad.EINVALID, "user %s holds the sub-key %s, and rotating it needs OpenRouter: set OPENROUTER_MANAGEMENT_KEY (and OPENROUTER_API_URL)", userID, k.Hash)
		}
		plan, err := l.cfg.Store.GetPlan(ctx, k.Plan)
		if err != nil {
			return launchpad.Wrapf(err, "reading plan %s of sub-key %s", k.Plan, k.Hash)
		}
		next, err := l.keys.Rotate(ctx, k.Hash, plan, k.Name, gen)
		if err != nil {
			return err
		}
		l.count(func(r *LeakResult) { r.KeysRotated++ })
		ev := subkey.RotatedEvent(next, k.Hash)
		ev.Actor, ev.Details["reason"] = l.cfg.Actor, "platform_secret_leak"
		if _, err := l.cfg.Store.AppendAudit(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// auditDone writes the platform.leak_response event: counts and the key id, nothing secret.
func (l *leak) auditDone(ctx context.Context, res LeakResult) error {
	_, err := l.cfg.Store.AppendAudit(ctx, &launchpad.AuditEvent{
		Stream: launchpad.PlatformStream, Actor: l.cfg.Actor, Action: launchpad.AuditLeakResponse, Target: l.keyID,
		Details: map[string]string{
			"users_scanned":  strconv.Itoa(res.UsersScanned),
			"keys_rotated":   strconv.Itoa(res.KeysRotated),
			"factors_marked": strconv.Itoa(res.FactorsMarked),
			"mailed":         strconv.Itoa(res.Mailed),
			"not_mailed":     strconv.Itoa(len(res.ToTell)),
		},
	})
	return err
}
