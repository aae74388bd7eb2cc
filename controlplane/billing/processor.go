package billing

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// ProcessorConfig configures a Processor. Store is required.
type ProcessorConfig struct {
	Store launchpad.Store
	// Stripe, when set (STRIPE_API_KEY), is asked for each subscription an event names, and
	// its answer is applied instead of the event's copy. Nil: act on the verified payload.
	Stripe SubscriptionFetcher
	// PastDueGrace is how long a past-due subscription keeps its tenant before it lapses
	// (default 72h); VolumeRetention how long a lapsed subscription's tenant and volume are
	// kept before they are destroyed (default 7 days).
	PastDueGrace    time.Duration
	VolumeRetention time.Duration
	// ApplyMaxAttempts of the apply jobs it enqueues (0: the store's default).
	ApplyMaxAttempts int
	// RotateOnPlanChange bumps the user's key rotation generation on every change from one
	// paid plan to another, so the apply that follows mints a new sub-key (Env).
	RotateOnPlanChange bool
	// Mailer, when set, emails the customer when a payment fails, the subscription is
	// cancelled or ends, and its tenant is deleted (in the overview's words, package
	// notice); DashboardURL is linked from them.
	Mailer       launchpad.Mailer
	DashboardURL string
	// Wake, if set, is called after a job is enqueued (Pool.Wake).
	Wake func()
	// Metrics counts the recorded events that cannot be read (nil: not counted).
	Metrics Metrics
	Now     func() time.Time
	Logger  *slog.Logger
}

// Processor turns recorded Stripe events into the user's subscription record, audit entries
// and apply jobs. It is the queue handler of launchpad.JobStripeEvent and of JobLapse jobs.
type Processor struct {
	cfg ProcessorConfig
}

// NewProcessor checks cfg and returns a processor.
func NewProcessor(cfg ProcessorConfig) (*Processor, error) {
	if cfg.Store == nil {
		return nil, errors.New("billing: ProcessorConfig.Store is nil")
	}
	if cfg.PastDueGrace < 0 || cfg.VolumeRetention < 0 {
		return nil, errors.New("billing: PastDueGrace and VolumeRetention cannot be negative")
	}
	if cfg.PastDueGrace == 0 {
		cfg.PastDueGrace = launchpad.DefaultPastDueGrace
	}
	if cfg.VolumeRetention == 0 {
		cfg.VolumeRetention = DefaultVolumeRetention
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	return &Processor{cfg: cfg}, nil
}

// Handlers returns the processor's queue handlers: launchpad.JobStripeEvent and JobLapse.
func (p *Processor) Handlers() map[string]queue.Handler {
	return map[string]queue.Handler{
		launchpad.JobStripeEvent: p.HandleEvent,
		JobLapse:                 p.HandleLapse,
	}
}

// HandleEvent processes the recorded Stripe event a JobStripeEvent job names, and marks the
// event processed (or records why it could not be). A problem retrying cannot fix (an
// unknown price, a checkout naming no user) is a queue.Permanent error; a user not yet linked
// to the event's customer, or Stripe or the store being away, is retried.
func (p *Processor) HandleEvent(ctx context.Context, job *launchpad.Job) (launchpad.PlanSummary, error) {
	var pl eventJobPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil || pl.EventID == "" {
		return launchpad.PlanSummary{}, queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "stripe_event job %s has no event id in its payload", job.ID))
	}
	rec, err := p.cfg.Store.GetStripeEvent(ctx, pl.EventID)
	if launchpad.IsNotFound(err) {
		return launchpad.PlanSummary{}, queue.Permanent(launchpad.Errorf(launchpad.ENOTFOUND, "Stripe event %s is not recorded", pl.EventID))
	} else if err != nil {
		return launchpad.PlanSummary{}, err
	}
	if len(rec.Payload) == 0 {
		err := queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "the payload of Stripe event %s was erased after its retention (%s), so it cannot be processed again; resend it from Stripe's dashboard if it must be", rec.ID, settings.RetentionStripePayloads))
		p.markEvent(ctx, rec.ID, err)
		return launchpad.PlanSummary{}, err
	}
	var ev stripe.Event
	if err := json.Unmarshal(rec.Payload, &ev); err != nil || ev.Data == nil {
		err = queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "recorded Stripe event %s does not parse: %v", rec.ID, err))
		p.markEvent(ctx, rec.ID, err)
		return launchpad.PlanSummary{}, err
	}
	version := versionLabel(rec.APIVersion)
	log := p.cfg.Logger.With("event", rec.ID, "type", rec.Type, "api_version", version, "job", job.ID, "attempt", job.Attempts)
	if kind, ok := eventKinds[rec.Type]; ok {
		err = kind.handle(p, ctx, log, ev, rec.Created)
		if isUnreadable(err) {
			// Recorded before this server refused such shapes at the webhook, or re-enqueued
			// by hand: failed for an operator to see, never marked done with nothing done.
			p.cfg.Metrics.StripeEventUnreadable(rec.Type, version, StageProcessor)
			log.Error("Stripe event cannot be read: its object has a shape this server does not know", "reason", err.Error())
			err = queue.Permanent(launchpad.Errorf(launchpad.EINVALID,
				"event %s (API version %s) cannot be read: %v; once this server reads it, enqueue the event again", rec.ID, version, err))
		}
		if err == nil && kind.linksCustomer {
			p.replayWaiting(ctx, log, eventCustomer(ev.Data.Raw), job.ID)
		}
	} else {
		log.Info("Stripe event type not handled; nothing to do")
	}
	p.markEvent(ctx, rec.ID, err)
	if err != nil {
		log.Warn("processing the Stripe event failed", "error", err, "permanent", queue.IsPermanent(err))
	}
	return launchpad.PlanSummary{}, err
}

// markEvent records the outcome on the event: processed, or the error (a retryable error
// leaves it unprocessed). A failure here is only logged: the job's own outcome is recorded.
func (p *Processor) markEvent(ctx context.Context, id string, procErr error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := p.cfg.Now().UTC()
	_, err := p.cfg.Store.UpdateStripeEvent(ctx, id, func(e *launchpad.StripeEvent) error {
		e.Error = ""
		if procErr != nil {
			e.Error = launchpad.Clip(errorText(procErr), 1000)
		}
		if procErr == nil || queue.IsPermanent(procErr) {
			e.ProcessedAt = now
		}
		return nil
	})
	if err != nil {
		p.cfg.Logger.Error("marking the Stripe event processed failed", "event", id, "error", err)
	}
}

func errorText(err error) string {
	if launchpad.ErrorCode(err) == launchpad.EINTERNAL {
		return err.Error()
	}
	return launchpad.ErrorCode(err) + ": " + launchpad.ErrorMessage(err)
}

// userForCustomer finds the user linked to a Stripe customer, or, failing that, the user a
// subscription's metadata names (user_id, as set by subscription_data.metadata at checkout),
// linking them. A customer no one is linked to yet is a retryable ENOTFOUND: Stripe does not
// order deliveries, and the checkout.session.completed event that links them may come next.
func (p *Processor) userForCustomer(ctx context.Context, customer string, metadata map[string]string) (*launchpad.User, error) {
	if customer == "" {
		return nil, queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "the event names no Stripe customer"))
	}
	u, err := p.cfg.Store.GetUserByStripeCustomer(ctx, customer)
	if err == nil || !launchpad.IsNotFound(err) {
		return u, err
	}
	if id := metadata["user_id"]; id != "" && launchpad.ValidateUserID(id) == nil {
		if u, err := p.cfg.Store.GetUser(ctx, id); err == nil {
			return p.linkCustomer(ctx, u.ID, customer)
		}
	}
	return nil, launchpad.Errorf(launchpad.ENOTFOUND, waitingForCheckout+" %s yet (waiting for its checkout.session.completed)", customer)
}

// waitingForCheckout starts the error of an event processed before its customer was linked;
// replayWaiting looks for it.
const waitingForCheckout = "no user is linked to Stripe customer"

// replayWaiting re-enqueues, to run now, the customer's event jobs that failed, or wait for a
// retry, because no user was linked to the customer yet: the checkout that links them has
// just been processed (self), and Stripe may have delivered it last. Processing an event
// twice is harmless, so the waiting originals are left as they are.
func (p *Processor) replayWaiting(ctx context.Context, log *slog.Logger, customer, self string) {
	if customer == "" {
		return
	}
	key := StripeEventJob("", customer, 0).Key
	js, err := p.cfg.Store.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Key: key, Limit: 100})
	if err != nil {
		log.Warn("listing the customer's waiting events failed; they run at their next retry", "error", err)
		return
	}
	replayed := 0
	for _, j := range js {
		waiting := j.Status == launchpad.JobFailed || (j.Status == launchpad.JobQueued && j.Attempts > 0)
		if j.ID == self || !waiting || !strings.Contains(j.Error, waitingForCheckout) {
			continue
		}
		if _, err := p.cfg.Store.EnqueueJob(ctx, &launchpad.Job{Kind: j.Kind, Key: j.Key, Payload: j.Payload, MaxAttempts: j.MaxAttempts}); err != nil {
			log.Warn("replaying a waiting event failed; it runs at its next retry", "job", j.ID, "error", err)
			continue
		}
		replayed++
	}
	if replayed > 0 {
		log.Info("replaying the customer's events that waited for this checkout", "customer", customer, "events", replayed)
		p.cfg.Wake()
	}
}

// linkCustomer sets the user's Stripe customer when it has none (or the same one).
func (p *Processor) linkCustomer(ctx context.Context, userID, customer string) (*launchpad.User, error) {
	return p.cfg.Store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		switch u.Subscription.StripeCustomerID {
		case "", customer:
			u.Subscription.StripeCustomerID = customer
			return nil
		}
		if launchpad.SubscriptionRunning(u.Subscription.Status) || u.Subscription.Status == launchpad.StatusUnpaid {
			return queue.Permanent(launchpad.Errorf(launchpad.ECONFLICT, "user %s already has a live subscription under Stripe customer %s; not linking customer %s", u.ID, u.Subscription.StripeCustomerID, customer))
		}
		u.Subscription.StripeCustomerID = customer // a returning customer under a new Stripe customer
		return nil
	})
}

// planForPrice maps a price to its launchpad_plan; nil, nil when no plan has it.
func (p *Processor) planForPrice(ctx context.Context, priceID string) (*launchpad.Plan, error) {
	if priceID == "" {
		return nil, nil
	}
	pl, err := p.cfg.Store.GetPlanByStripePrice(ctx, priceID)
	if launchpad.IsNotFound(err) {
		return nil, nil
	}
	return pl, err
}

// audit appends an event to the user's stream; failures are logged.
func (p *Processor) audit(ctx context.Context, userID, action, target string, details map[string]string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := p.cfg.Store.AppendAudit(ctx, &launchpad.AuditEvent{
		Stream: userID, Actor: launchpad.ActorStripe, Action: action, Target: target, Details: details, Time: p.cfg.Now(),
	}); err != nil {
		p.cfg.Logger.Error("writing an audit event failed", "action", action, "user", userID, "error", err)
	}
}

// fetchSnapshot returns the subscription as Stripe has it now when a fetcher is configured,
// else the event's copy (nil when the event carries none).
func (p *Processor) fetchSnapshot(ctx context.Context, id string, fromEvent *subSnapshot) (*subSnapshot, error) {
	if p.cfg.Stripe != nil && id != "" {
		s, err := p.cfg.Stripe.GetSubscription(ctx, id)
		if launchpad.IsNotFound(err) {
			return nil, queue.Permanent(err)
		} else if err != nil {
			return nil, err
		}
		snap, err := fetchedSnapshot(s)
		if err != nil {
			return nil, queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "subscription %s as fetched from Stripe: %v", id, err))
		}
		return &snap, nil
	}
	return fromEvent, nil
}

// fetchedSnapshot reads a subscription fetched from the Stripe API: from the answer's raw
// JSON when stripe-go kept it, so that it is read in whichever shape it came, else from
// stripe-go's decoding.
func fetchedSnapshot(s *stripe.Subscription) (subSnapshot, error) {
	if s.LastResponse != nil && len(s.LastResponse.RawJSON) > 0 {
		return readSubscription(s.LastResponse.RawJSON, true)
	}
	snap := snapshotOf(s, nil, true)
	if snap.PeriodStart.IsZero() || snap.PeriodEnd.IsZero() {
		return subSnapshot{}, unreadable("subscription %s has no billing period", s.ID)
	}
	return snap, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func unknownPriceError(snap *subSnapshot) error {
	return queue.Permanent(launchpad.Errorf(launchpad.EINVALID,
		"no launchpad_plan has stripe_price_id %q (subscription %s); add the plan with that price and enqueue the event again", snap.PriceID, snap.ID))
}
