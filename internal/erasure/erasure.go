package erasure

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// SubscriptionCanceller cancels a Stripe subscription at once. ENOTFOUND when Stripe does not
// know it (nothing to cancel).
type SubscriptionCanceller interface {
	CancelSubscription(ctx context.Context, id string) error
}

// Config is what a Service needs. Store and PseudonymKey are required.
type Config struct {
	Store launchpad.Store
	// Keys revokes the sub-key at OpenRouter; nil when OpenRouter is not configured (the
	// tenant's destroy apply revokes it through the provider all the same).
	Keys *subkey.Service
	// Stripe cancels the subscription; nil when STRIPE_API_KEY is not set.
	Stripe SubscriptionCanceller
	// PseudonymKey keys the HMAC that replaces the user's identifiers in the audit log (a key
	// derived from PLATFORM_SECRET), so a pseudonym cannot be recomputed without the secret.
	PseudonymKey []byte
	// Wake makes the workers look for the job just enqueued; may be nil.
	Wake   func()
	Now    func() time.Time
	Logger *slog.Logger
	// MaxAttempts bounds the erasure job's attempts (0: 2000). Each look at a teardown apply
	// still running is an attempt (every waitInterval), so it needs far more than an apply.
	MaxAttempts int

	// afterStep, in tests, runs after each step is stored; an error stops the run there, as a
	// crash would.
	afterStep func(step string) error
}

// Service requests and carries out account deletions.
type Service struct {
	cfg Config
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || len(cfg.PseudonymKey) < 16 {
		return nil, errors.New("erasure: Config.Store and a PseudonymKey of at least 16 bytes are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 2000
	}
	return &Service{cfg: cfg}, nil
}

// Steps, in the order they run; TenantControl.ErasureStep holds the last one finished.
const (
	StepRequested          = "requested"
	StepSessionsEnded      = "sessions_ended"
	StepTenantDestroyed    = "tenant_destroyed"
	StepKeyRevoked         = "key_revoked"
	StepSubscription       = "subscription_cancelled"
	StepKeyShredded        = "key_material_shredded"
	StepAuditPseudonymised = "audit_pseudonymised"
	StepAudited            = "erasure_audited"
)

// Pseudonym is the keyed hash that stands for value (a user id, an email, an app name) in the
// audit log once its user is erased.
func (s *Service) Pseudonym(value string) string {
	m := hmac.New(sha256.New, s.cfg.PseudonymKey)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// ErasedStream is the audit stream the user's events move to.
func (s *Service) ErasedStream(userID string) string {
	return launchpad.ErasedStreamPrefix + s.Pseudonym(userID)
}

// erasedEventID is the id of the platform-stream event that records the erasure: fixed per
// user, so writing it twice is a conflict, not a second record.
func (s *Service) erasedEventID(userID string) string {
	return "erasure-" + s.Pseudonym(userID)
}

// Result answers a deletion request.
type Result struct {
	// Status is "deleting" while the job runs, "erased" when the user is already gone.
	Status string
	Job    *launchpad.Job
}

// Request starts the deletion of userID's account, asked for by actor: it marks the account
// (from now on the tenant's desired state is destroyed), ends every session at once, audits
// the request and enqueues the erasure job. Asking again re-enqueues the job; asking for a
// user already erased answers Status "erased"; ENOTFOUND for a user who never existed.
func (s *Service) Request(ctx context.Context, userID, actor string) (*Result, error) {
	if err := launchpad.ValidateUserID(userID); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	first := false
	_, err := s.cfg.Store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		first = u.Control.ErasureRequestedAt.IsZero()
		if first {
			u.Control.ErasureRequestedAt, u.Control.ErasureStep = now, StepRequested
		}
		return nil
	})
	if launchpad.IsNotFound(err) {
		if _, gerr := s.cfg.Store.GetAudit(ctx, s.erasedEventID(userID)); gerr == nil {
			return &Result{Status: "erased"}, nil
		}
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "there is no user %s", userID)
	} else if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.RevokeUserSessions(ctx, userID, now); err != nil {
		return nil, launchpad.Wrapf(err, "the deletion of %s is recorded, but its sessions could not be ended yet; ask again", userID)
	}
	if first {
		if _, err := s.cfg.Store.AppendAudit(ctx, &launchpad.AuditEvent{
			Stream: userID, Actor: actor, Action: launchpad.AuditAccountDeletionRequested, Target: userID,
		}); err != nil {
			s.cfg.Logger.Warn("the account deletion request could not be audited; the erasure audits its outcome", "user", userID, "error", err.Error())
		}
	}
	job, err := s.enqueue(ctx, userID, actor, now)
	if err != nil {
		return nil, err
	}
	s.cfg.Logger.Info("account deletion requested", "user", userID, "actor", actor, "job", job.ID)
	return &Result{Status: "deleting", Job: job}, nil
}

func (s *Service) enqueue(ctx context.Context, userID, actor string, now time.Time) (*launchpad.Job, error) {
	payload, err := json.Marshal(launchpad.ErasureRequest{UserID: userID, Actor: actor, RequestedAt: now})
	if err != nil {
		return nil, err
	}
	job, err := s.cfg.Store.EnqueueJob(ctx, &launchpad.Job{
		Kind: launchpad.JobErasure, Key: userID, Payload: payload, Supersede: true, MaxAttempts: s.cfg.MaxAttempts,
	})
	if err != nil {
		return nil, err
	}
	if s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return job, nil
}

// errWaiting is a step that cannot finish yet (the teardown apply has not run): the job is
// retried after the queue's backoff.
type errWaiting struct{ what string }

func (e errWaiting) Error() string { return "waiting for " + e.what }

// RetryAfter tells the queue when to run the job again (instead of its failure backoff).
func (e errWaiting) RetryAfter() time.Duration { return waitInterval }

// waitInterval is how often a deletion looks again at its teardown apply.
const waitInterval = 2 * time.Second

// Run is the JobErasure handler: it works through the steps that are left and, at the end,
// erases the user's records. Every step is idempotent, so a run after a crash repeats at most
// the step that was interrupted.
func (s *Service) Run(ctx context.Context, job *launchpad.Job) (launchpad.PlanSummary, error) {
	var req launchpad.ErasureRequest
	if err := json.Unmarshal(job.Payload, &req); err != nil {
		return launchpad.PlanSummary{}, launchpad.Errorf(launchpad.EINVALID, "erasure job %s has a payload that is not an erasure request: %v", job.ID, err)
	}
	if req.Pseudonymised {
		return launchpad.PlanSummary{}, nil // finished: only the pseudonymised record is left
	}
	if err := launchpad.ValidateUserID(req.UserID); err != nil {
		return launchpad.PlanSummary{}, err
	}
	log := s.cfg.Logger.With("job", job.ID, "user", req.UserID)
	u, err := s.cfg.Store.GetUser(ctx, req.UserID)
	if launchpad.IsNotFound(err) {
		// Erased already (a run that stopped after EraseUser): only the last sweep of the
		// audit stream may be left to do.
		log.Info("the user is already erased")
		if err := s.pseudonymise(ctx, &launchpad.User{ID: req.UserID}, job, req); err != nil {
			return launchpad.PlanSummary{}, err
		}
		return launchpad.PlanSummary{}, s.pseudonymiseJob(ctx, job, req)
	} else if err != nil {
		return launchpad.PlanSummary{}, err
	}
	if u.Control.ErasureRequestedAt.IsZero() {
		return launchpad.PlanSummary{}, launchpad.Errorf(launchpad.EINVALID, "user %s has not asked for deletion (the request was withdrawn or never stored); nothing erased", req.UserID)
	}
	steps := []struct {
		name string
		run  func(context.Context, *launchpad.User, *launchpad.Job, launchpad.ErasureRequest) error
	}{
		{StepSessionsEnded, s.endSessions},
		{StepTenantDestroyed, s.destroyTenant},
		{StepKeyRevoked, s.revokeKeys},
		{StepSubscription, s.cancelSubscription},
		{StepKeyShredded, s.shredKey},
		{StepAuditPseudonymised, s.pseudonymise},
		{StepAudited, s.auditErasure},
	}
	done := stepIndex(u.Control.ErasureStep)
	for i, step := range steps {
		if i < done {
			continue
		}
		if err := step.run(ctx, u, job, req); err != nil {
			var w errWaiting
			if errors.As(err, &w) {
				log.Info("account deletion waiting", "step", step.name, "for", w.what)
			}
			return launchpad.PlanSummary{}, err
		}
		if _, err := s.cfg.Store.UpdateUser(ctx, u.ID, func(x *launchpad.User) error {
			x.Control.ErasureStep = step.name
			return nil
		}); err != nil {
			return launchpad.PlanSummary{}, err
		}
		log.Info("account deletion step finished", "step", step.name)
		if s.cfg.afterStep != nil {
			if err := s.cfg.afterStep(step.name); err != nil {
				return launchpad.PlanSummary{}, err
			}
		}
	}
	if err := s.cfg.Store.EraseUser(ctx, launchpad.UserErasure{
		UserID: u.ID, Email: u.Email, StripeCustomerID: u.Subscription.StripeCustomerID, KeepJobID: job.ID,
	}); err != nil {
		return launchpad.PlanSummary{}, err
	}
	// Writers that do not hold the user's job key (billing, sign-in protections) may have
	// appended to the user's stream since it was pseudonymised; none can name the user after
	// EraseUser, so one more pass leaves no event under their id.
	if err := s.pseudonymise(ctx, u, job, req); err != nil {
		return launchpad.PlanSummary{}, err
	}
	if err := s.pseudonymiseJob(ctx, job, req); err != nil {
		return launchpad.PlanSummary{}, err
	}
	log.Info("account erased")
	return launchpad.PlanSummary{}, nil
}

// pseudonymiseJob rewrites the erasure job's own record, the one record of the user the
// erasure keeps, so that it names them only by pseudonym: its key becomes the erased audit
// stream, its payload the request with the user and actor replaced.
func (s *Service) pseudonymiseJob(ctx context.Context, job *launchpad.Job, req launchpad.ErasureRequest) error {
	done := launchpad.ErasureRequest{UserID: s.Pseudonym(req.UserID), Actor: s.pseudonymActor(req.Actor), RequestedAt: req.RequestedAt, Pseudonymised: true}
	payload, err := json.Marshal(done)
	if err != nil {
		return err
	}
	return s.cfg.Store.PseudonymiseJob(ctx, job.ID, s.ErasedStream(req.UserID), payload)
}

// pseudonymActor is actor as the erased records name it: a user by pseudonym, an operator as
// they were.
func (s *Service) pseudonymActor(actor string) string {
	if kind, _ := launchpad.ParseActor(actor); kind == launchpad.ActorKindUser {
		return launchpad.UserActor(s.Pseudonym(actor))
	}
	return actor
}

// stepIndex is how many steps are finished when step is the last one.
func stepIndex(step string) int {
	for i, name := range []string{StepSessionsEnded, StepTenantDestroyed, StepKeyRevoked, StepSubscription, StepKeyShredded, StepAuditPseudonymised, StepAudited} {
		if name == step {
			return i + 1
		}
	}
	return 0
}

func (s *Service) endSessions(ctx context.Context, u *launchpad.User, _ *launchpad.Job, _ launchpad.ErasureRequest) error {
	return s.cfg.Store.RevokeUserSessions(ctx, u.ID, s.cfg.Now())
}

// destroyTenant makes sure a destroy apply of the user's tenant has run: done when the user
// has no tenant record left and no apply of theirs is queued or running; otherwise it
// enqueues the destroy (unless one is on its way) and waits.
func (s *Service) destroyTenant(ctx context.Context, u *launchpad.User, _ *launchpad.Job, _ launchpad.ErasureRequest) error {
	tenants, err := s.cfg.Store.ListTenants(ctx, launchpad.TenantFilter{UserID: u.ID})
	if err != nil {
		return err
	}
	jobs, err := s.cfg.Store.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobApply, Key: u.ID, Limit: 1})
	if err != nil {
		return err
	}
	var newest *launchpad.Job
	var newestReq launchpad.ApplyRequest
	if len(jobs) > 0 {
		newest = jobs[0]
		newestReq, _ = launchpad.ParseApplyRequest(newest.Payload)
	}
	pending := newest != nil && (newest.Status == launchpad.JobQueued || newest.Status == launchpad.JobRunning)
	_, stateErr := s.cfg.Store.GetState(ctx, u.ID)
	hasState := stateErr == nil
	if stateErr != nil && !launchpad.IsNotFound(stateErr) {
		return stateErr
	}
	switch {
	case len(tenants) == 0 && !pending && (!hasState || (newest != nil && newestReq.Destroy && newest.Status == launchpad.JobSucceeded)):
		return nil
	case pending && newestReq.Destroy:
		return errWaiting{"the teardown apply " + newest.ID}
	}
	d := launchpad.ApplyRequest{UserID: u.ID, Destroy: true, Reason: launchpad.ReasonErased}
	j, err := s.cfg.Store.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: u.ID, Payload: d.Payload(), Supersede: true})
	if err != nil {
		return err
	}
	if s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return errWaiting{"the teardown apply " + j.ID}
}

// revokeKeys disables at OpenRouter every sub-key of the user still enabled (the teardown
// deletes the tenant's key; this catches any other, and a teardown that could not reach it).
func (s *Service) revokeKeys(ctx context.Context, u *launchpad.User, _ *launchpad.Job, _ launchpad.ErasureRequest) error {
	keys, err := s.cfg.Store.ListSubKeys(ctx, launchpad.SubKeyFilter{UserID: u.ID})
	if err != nil {
		return err
	}
	if s.cfg.Keys == nil {
		if len(keys) > 0 {
			s.cfg.Logger.Warn("the user has sub-key records but OpenRouter is not configured; their keys are not revoked by this control plane", "user", u.ID, "keys", len(keys))
		}
		return nil
	}
	for _, k := range keys {
		if k.Disabled {
			continue
		}
		err := s.cfg.Keys.Disable(ctx, k.Hash)
		var stale *subkey.StaleRecordError
		if err != nil && !launchpad.IsNotFound(err) && !errors.As(err, &stale) {
			return launchpad.Wrapf(err, "revoking sub-key %s", k.Hash)
		}
	}
	return nil
}

func (s *Service) cancelSubscription(ctx context.Context, u *launchpad.User, _ *launchpad.Job, _ launchpad.ErasureRequest) error {
	sub := u.Subscription
	if s.cfg.Stripe == nil || sub.StripeSubscriptionID == "" || sub.Status == launchpad.StatusCanceled {
		return nil
	}
	err := s.cfg.Stripe.CancelSubscription(ctx, sub.StripeSubscriptionID)
	if err != nil && !launchpad.IsNotFound(err) {
		return err
	}
	return nil
}

// shredKey deletes the user's key material, which crypto-shreds every credential sealed for
// them (envelope format v2): copies kept anywhere no longer open. It runs once nothing needs to
// open them any more — the teardown apply has run and the sub-keys are revoked — and EraseUser
// deletes the material again, should a seal have raced with this step.
func (s *Service) shredKey(ctx context.Context, u *launchpad.User, _ *launchpad.Job, _ launchpad.ErasureRequest) error {
	return s.cfg.Store.DeleteUserKey(ctx, u.ID)
}

func (s *Service) pseudonymise(ctx context.Context, u *launchpad.User, _ *launchpad.Job, _ launchpad.ErasureRequest) error {
	_, err := s.cfg.Store.PseudonymiseAudit(ctx, u.ID, func(e *launchpad.AuditEvent) {
		launchpad.PseudonymiseEvent(e, u.ID, u.Email, s.Pseudonym)
	})
	return err
}

// auditErasure records the erasure in the platform stream, naming the user only by the
// pseudonym of their events; its fixed id makes a second write a no-op.
func (s *Service) auditErasure(ctx context.Context, u *launchpad.User, job *launchpad.Job, req launchpad.ErasureRequest) error {
	actor := s.pseudonymActor(req.Actor)
	events, err := s.cfg.Store.ListAudit(ctx, launchpad.AuditFilter{Stream: s.ErasedStream(u.ID), Limit: 1000})
	if err != nil {
		return err
	}
	_, err = s.cfg.Store.AppendAudit(ctx, &launchpad.AuditEvent{
		ID: s.erasedEventID(u.ID), Stream: launchpad.PlatformStream, Actor: actor, Action: launchpad.AuditAccountErased,
		Target: s.ErasedStream(u.ID),
		Details: map[string]string{
			"job":                  job.ID,
			"key_material":         "shredded",
			"pseudonymised_events": strconv.Itoa(len(events)),
			"requested_at":         req.RequestedAt.UTC().Format(time.RFC3339),
		},
	})
	if launchpad.ErrorCode(err) == launchpad.ECONFLICT {
		return nil
	}
	if err != nil {
		return fmt.Errorf("auditing the erasure: %w", err)
	}
	return nil
}
