package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// WebhookConfig configures the Stripe webhook handler. Store is required.
type WebhookConfig struct {
	// Store records events and enqueues their jobs in one transaction.
	Store launchpad.StripeEventStore
	// Secrets are the endpoint signing secrets (Env.WebhookSecrets); an event signed with any
	// of them is accepted, so a secret can be rolled. With none, every request is answered
	// 503 saying STRIPE_WEBHOOK_SECRET is not set.
	Secrets []string
	// Tolerance is how old a signature's timestamp may be (default 5 minutes).
	Tolerance time.Duration
	// MaxBody bounds the request body (default 1 MiB); a larger one is answered 413.
	MaxBody int64
	// MaxAttempts of each event's processing job (0: the store's default).
	MaxAttempts int
	// OnRecorded, if set, is called after a new event's job is stored (Pool.Wake), so it is
	// processed without waiting for the queue's next poll.
	OnRecorded func()
	// Metrics counts the events refused as unreadable (nil: not counted).
	Metrics Metrics
	Now     func() time.Time
	Logger  *slog.Logger
}

// NewWebhookHandler returns the handler of POST /api/stripe/webhook. It reads the raw body
// (at most MaxBody), verifies the Stripe-Signature header with stripe-go's
// webhook.ConstructEventWithOptions against each secret, records the event and its
// processing job in one transaction (RecordStripeEvent), and only then answers 200. A
// duplicate delivery is answered 200 and enqueues nothing. A bad or missing signature, a
// timestamp outside the tolerance or a body that is not an event is answered 400 and stores
// nothing; a store that cannot be reached is answered 503 so that Stripe retries.
//
// Events of every API version are accepted and their version is recorded with them
// (StripeEvent.APIVersion) and logged; the fields are read from whichever shape the event
// has (see versions.go). An event the processor acts on whose data.object it cannot read is
// refused with 400 before anything is stored, logged and counted (Metrics): Stripe retries
// it for days, so it is processed once this server reads that shape, and it is never
// recorded as done with nothing done.
func NewWebhookHandler(cfg WebhookConfig) http.Handler {
	if cfg.Store == nil {
		panic("billing: WebhookConfig.Store is nil")
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	return &webhookHandler{cfg: cfg}
}

type webhookHandler struct {
	cfg          WebhookConfig
	seenVersions sync.Map // API versions already logged as first seen
}

// WebhookResponse is the body of a 200 answer.
type WebhookResponse struct {
	Received  bool `json:"received"`
	Duplicate bool `json:"duplicate"`
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.cfg.Logger
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpjson.Error(w, launchpad.Errorf(httpjson.MethodNotAllowed, "send Stripe events with POST"))
		return
	}
	if len(h.cfg.Secrets) == 0 {
		log.Error("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set; answering 503 so Stripe retries once it is")
		httpjson.Error(w, &launchpad.Error{Code: launchpad.EUNAVAILABLE, Message: "Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET is not set)", RetryAfter: time.Minute})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpjson.Error(w, launchpad.Errorf(httpjson.TooLarge, "the request body is larger than %d bytes; a Stripe event is much smaller", h.cfg.MaxBody))
			return
		}
		httpjson.Error(w, launchpad.Errorf(launchpad.EINVALID, "the request body could not be read"))
		return
	}

	// Stripe sends UTF-8 JSON. encoding/json would quietly turn other bytes into U+FFFD, so a
	// body that is not UTF-8 (only someone holding the secret could sign one) would be
	// recorded under an id and with values it does not have.
	if !utf8.Valid(body) {
		log.Warn("Stripe webhook refused", "reason", "body is not valid UTF-8", "remote", r.RemoteAddr)
		httpjson.Error(w, launchpad.Errorf(launchpad.EINVALID, "the request body is not valid UTF-8; a Stripe event is UTF-8 JSON"))
		return
	}
	ev, err := h.verify(body, r.Header.Get("Stripe-Signature"))
	if err != nil {
		log.Warn("Stripe webhook refused", "reason", err.Error(), "remote", r.RemoteAddr)
		httpjson.Error(w, &launchpad.Error{Code: launchpad.EINVALID, Message: err.Error()})
		return
	}
	h.noteVersion(ev)
	if kind, ok := eventKinds[string(ev.Type)]; ok {
		if err := kind.read(ev.Data.Raw); err != nil {
			version := versionLabel(ev.APIVersion)
			h.cfg.Metrics.StripeEventUnreadable(string(ev.Type), version, StageWebhook)
			log.Error("Stripe event refused: its object has a shape this server cannot read; answering 400 so Stripe retries it. Pin the webhook endpoint to a supported API version, or upgrade Launchpad",
				"event", ev.ID, "type", string(ev.Type), "api_version", version, "reason", err.Error())
			httpjson.Error(w, launchpad.Errorf(launchpad.EINVALID, "event %s (API version %s) cannot be read: %v; Stripe will retry it", ev.ID, version, err))
			return
		}
	}

	now := h.cfg.Now().UTC()
	rec := &launchpad.StripeEvent{
		ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0).UTC(), APIVersion: ev.APIVersion,
		Payload: body, ReceivedAt: now,
	}
	var job *launchpad.Job
	if Handled(rec.Type) {
		customer := ""
		if ev.Data != nil {
			customer = eventCustomer(ev.Data.Raw)
		}
		job = StripeEventJob(ev.ID, customer, h.cfg.MaxAttempts)
	} else {
		rec.ProcessedAt = now // nothing to do, now or later
	}
	// The write finishes even if Stripe hangs up: the event is recorded or not, never half.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 15*time.Second)
	defer cancel()
	recorded, err := h.cfg.Store.RecordStripeEvent(ctx, rec, job)
	if err != nil {
		log.Error("recording a Stripe event failed; answering 503 so Stripe retries", "event", ev.ID, "type", rec.Type, "error", err)
		httpjson.Error(w, &launchpad.Error{Code: launchpad.EUNAVAILABLE, Message: "the event could not be recorded; Stripe will retry", RetryAfter: 5 * time.Second})
		return
	}
	if recorded && job != nil && h.cfg.OnRecorded != nil {
		h.cfg.OnRecorded()
	}
	log.Info("Stripe event received", "event", ev.ID, "type", rec.Type, "api_version", versionLabel(ev.APIVersion), "duplicate", !recorded, "queued", recorded && job != nil)
	httpjson.Write(w, http.StatusOK, WebhookResponse{Received: true, Duplicate: !recorded})
}

// noteVersion logs the first event of each API version this process sees: which versions an
// endpoint sends shows in the log once, not with every event (each event's version is in its
// own "received" line and in the store). A version older than OldestAPIVersion is a warning:
// it is read in the older shape, which no test covers for it.
func (h *webhookHandler) noteVersion(ev stripe.Event) {
	version := versionLabel(ev.APIVersion)
	if _, seen := h.seenVersions.LoadOrStore(version, true); seen {
		return
	}
	if olderThanSupported(ev.APIVersion) {
		h.cfg.Logger.Warn("Stripe event of an API version older than the oldest supported one; accepted, and read as the oldest supported version's. Update the webhook endpoint's API version",
			"api_version", version, "oldest_supported", OldestAPIVersion, "event", ev.ID)
		return
	}
	h.cfg.Logger.Info("first Stripe event of this API version", "api_version", version, "event", ev.ID)
}

// verify checks the signature against each secret and parses the event. The error says
// what is wrong without echoing the header or the body.
func (h *webhookHandler) verify(body []byte, header string) (stripe.Event, error) {
	opts := webhook.ConstructEventOptions{Tolerance: h.cfg.Tolerance, IgnoreAPIVersionMismatch: true}
	var err error
	for _, secret := range h.cfg.Secrets {
		var ev stripe.Event
		ev, err = webhook.ConstructEventWithOptions(body, header, secret, opts)
		if err == nil {
			return ev, checkEvent(ev)
		}
		if !errors.Is(err, webhook.ErrNoValidSignature) {
			break // the header or the body is wrong whatever the secret
		}
	}
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return stripe.Event{}, errors.New("the Stripe-Signature header is missing")
	case errors.Is(err, webhook.ErrInvalidHeader):
		return stripe.Event{}, errors.New("the Stripe-Signature header is malformed")
	case errors.Is(err, webhook.ErrTooOld):
		return stripe.Event{}, fmt.Errorf("the signature's timestamp is more than %s old (a replay, or a clock far off)", h.cfg.Tolerance)
	case errors.Is(err, webhook.ErrNoValidSignature):
		return stripe.Event{}, errors.New("no signature matches this endpoint's signing secret (STRIPE_WEBHOOK_SECRET)")
	default:
		return stripe.Event{}, errors.New("the signed body is not a Stripe event (invalid JSON)")
	}
}

// checkEvent refuses a signed body that lacks what every event has.
func checkEvent(ev stripe.Event) error {
	switch {
	case ev.ID == "" || len(ev.ID) > 255 || !printable(ev.ID):
		return errors.New("the signed body is not a Stripe event: its id is missing or malformed")
	case ev.Type == "" || len(ev.Type) > 255 || !printable(string(ev.Type)):
		return errors.New("the signed body is not a Stripe event: its type is missing or malformed")
	case ev.Created <= 0:
		return errors.New("the signed body is not a Stripe event: its created time is missing")
	case ev.Data == nil || len(ev.Data.Raw) == 0:
		return errors.New("the signed body is not a Stripe event: data.object is missing")
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
