package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The audit panel shows the user's own stream, newest first, and follows it live: the page
// opens an EventSource on /audit/events, which polls the store for events after the newest
// one shown and sends each as a table row rendered by the same template as the page
// (html/template escaping included), so the script only inserts it.

const (
	auditPageSize  = 50
	auditBatch     = 100
	keepAliveEvery = 15 * time.Second
)

// auditData is the audit page.
type auditData struct {
	Rows []auditRow
	// Live is set on the first page, which follows new events; AfterSeq is its newest.
	Live     bool
	AfterSeq int64
	// Older, when set, is the ?before= of the next (older) page.
	Older int64
	// Kind is the group the page is filtered to ("" for all); Groups the filter's choices.
	Kind   string
	Groups []auditGroup
}

// auditRow is one event as a person reads it.
type auditRow struct {
	Seq     int64
	Time    time.Time
	Ago     string // how long ago, in words
	Actor   string
	Kind    string // user, operator, system, stripe: a class for the row
	Action  string // in words
	Code    string // the action's name, e.g. operator.exec
	Group   string // the action's group, which the filter picks (auditGroups)
	Target  string
	Details []detail
}

type detail struct{ Key, Value string }

// sortedDetails are an event's details in key order.
func sortedDetails(m map[string]string) []detail {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]detail, 0, len(keys))
	for _, k := range keys {
		out = append(out, detail{Key: k, Value: m[k]})
	}
	return out
}

// handleAudit shows a page of the stream: the newest, or the one before ?before=SEQ.
func (h *Handler) handleAudit(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d := &auditData{Live: true, Groups: auditGroups}
	if kind := r.URL.Query().Get("kind"); kind != "" {
		if !validAuditGroup(kind) {
			h.renderError(w, r, http.StatusBadRequest, "There is no such kind of event; pick one from the filter on the audit page.")
			return
		}
		h.handleAuditKind(w, r, s, d, kind)
		return
	}
	f := launchpad.AuditFilter{Stream: s.user.ID, Newest: true, Limit: auditPageSize}
	if b := r.URL.Query().Get("before"); b != "" {
		before, err := strconv.ParseInt(b, 10, 64)
		if err != nil || before < 1 {
			h.renderError(w, r, http.StatusBadRequest, "That page of the audit log does not exist; open the audit log from the menu.")
			return
		}
		d.Live = false
		from := max(1, before-auditPageSize)
		f = launchpad.AuditFilter{Stream: s.user.ID, AfterSeq: from - 1, Limit: int(max(0, before-from))}
	}
	var events []*launchpad.AuditEvent
	if f.Newest || f.Limit > 0 {
		var err error
		if events, err = h.store.ListAudit(ctx, f); err != nil {
			h.failed(w, r, err)
			return
		}
	}
	if !f.Newest {
		slices.Reverse(events)
	}
	for _, e := range events {
		d.Rows = append(d.Rows, h.auditRow(s.user.ID, e))
	}
	if n := len(events); n > 0 {
		if d.Live {
			d.AfterSeq = events[0].Seq
		}
		if events[n-1].Seq > 1 {
			d.Older = events[n-1].Seq
		}
	}
	v := signedInView(s, "Audit log", "audit", d)
	if d.Live {
		v.Scripts = []string{"audit.js"}
	}
	h.render(w, r, http.StatusOK, "audit", v)
}

// handleAuditKind shows the events of one group among the newest auditFilterScan, newest
// first; the page does not follow new events.
func (h *Handler) handleAuditKind(w http.ResponseWriter, r *http.Request, s *session, d *auditData, kind string) {
	events, err := h.store.ListAudit(r.Context(), launchpad.AuditFilter{Stream: s.user.ID, Newest: true, Limit: auditFilterScan})
	if err != nil {
		h.failed(w, r, err)
		return
	}
	d.Live, d.Kind = false, kind
	for _, e := range events {
		if auditGroupOf(e.Action) == kind {
			d.Rows = append(d.Rows, h.auditRow(s.user.ID, e))
		}
	}
	h.render(w, r, http.StatusOK, "audit", signedInView(s, "Audit log", "audit", d))
}

// handleAuditEvents streams new events of the user's stream as server-sent events, from
// ?after=SEQ or the Last-Event-ID of a reconnecting EventSource. It ends when the client
// goes, the server closes, or the session ends (it then sends "signed-out").
func (h *Handler) handleAuditEvents(w http.ResponseWriter, r *http.Request, s *session) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id > after {
		after = id
	}
	after = max(0, after)

	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("X-Accel-Buffering", "no") // nginx: pass events through at once
	w.WriteHeader(http.StatusOK)
	// The browser reconnects 3 s after a dropped stream, resuming from Last-Event-ID.
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil || rc.Flush() != nil {
		return
	}

	ctx := r.Context()
	poll := time.NewTicker(h.cfg.AuditPoll)
	defer poll.Stop()
	lastWrite := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.closing:
			return
		case <-poll.C:
		}
		if _, err := h.auth.Session(ctx, s.token); err != nil {
			if launchpad.ErrorCode(err) == launchpad.EUNAUTHORIZED {
				_, _ = fmt.Fprint(w, "event: signed-out\ndata: /signin\n\n")
				_ = rc.Flush()
				return
			}
			continue // the store is away: try again at the next tick
		}
		var sent int
		var err error
		after, sent, err = h.sendNewEvents(ctx, w, s.user.ID, after)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			h.log.Warn("audit stream could not send new events", "user_id", s.user.ID, "error", err.Error())
		}
		if sent == 0 && time.Since(lastWrite) >= keepAliveEvery {
			// A comment line keeps proxies from closing an idle stream.
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			sent = 1
		}
		if sent > 0 {
			if err := rc.Flush(); err != nil {
				return
			}
			lastWrite = time.Now()
		}
	}
}

// sendNewEvents writes the stream's events after seq `after`, oldest first, and returns the
// newest seq written and how many were.
func (h *Handler) sendNewEvents(ctx context.Context, w http.ResponseWriter, userID string, after int64) (int64, int, error) {
	sent := 0
	for {
		events, err := h.store.ListAudit(ctx, launchpad.AuditFilter{Stream: userID, AfterSeq: after, Limit: auditBatch})
		if err != nil {
			return after, sent, err
		}
		for _, e := range events {
			var row bytes.Buffer
			if err := h.pages.byName["audit"].ExecuteTemplate(&row, "audit_row", h.auditRow(userID, e)); err != nil {
				return after, sent, err
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: audit\n%s\n", e.Seq, sseData(row.String())); err != nil {
				return after, sent, err
			}
			after = e.Seq
			sent++
		}
		if len(events) < auditBatch {
			return after, sent, nil
		}
	}
}

// sseData formats s as the data lines of one event: every line of s gets its own "data:".
func sseData(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("data: ")
		b.WriteString(strings.TrimRight(line, "\r"))
		b.WriteByte('\n')
	}
	return b.String()
}

// auditRow puts an event into words for the user whose stream it is.
func (h *Handler) auditRow(userID string, e *launchpad.AuditEvent) auditRow {
	row := auditRow{Seq: e.Seq, Time: e.Time, Code: e.Action, Target: e.Target, Action: actionLabel(e.Action)}
	switch kind, name := launchpad.ParseActor(e.Actor); {
	case kind == launchpad.ActorKindUser && name == userID:
		row.Actor, row.Kind = "You", "user"
	case kind == launchpad.ActorKindOperator:
		row.Actor, row.Kind = "Operator "+name, "operator"
	case kind == launchpad.ActorKindStripe:
		row.Actor, row.Kind = "Stripe", "stripe"
	case e.Actor == "" || e.Actor == launchpad.ActorSystem || kind == launchpad.ActorKindTerraform || kind == launchpad.ActorKindSystem:
		// The runner applies changes as "terraform": to the customer it is Launchpad.
		row.Actor, row.Kind = "Launchpad", "system"
	default:
		row.Actor, row.Kind = "Launchpad", "system"
	}
	row.Group = auditGroupOf(e.Action)
	row.Ago = relativeTime(h.now(), e.Time)
	for _, d := range sortedDetails(e.Details) {
		if d.Key == "command" {
			d.Value = commandLine(d.Value)
		}
		row.Details = append(row.Details, detail{Key: strings.ReplaceAll(d.Key, "_", " "), Value: d.Value})
	}
	if e.Hash != "" {
		row.Details = append(row.Details, detail{Key: "entry hash", Value: e.Hash})
	}
	return row
}

// commandLine shows an operator command (a JSON array of arguments) as a shell would read
// it; anything else is shown as it is.
func commandLine(v string) string {
	var args []string
	if json.Unmarshal([]byte(v), &args) != nil {
		return v
	}
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>*?()[]{}#~") {
			args[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(args, " ")
}

// actionLabels put the audit actions into words; an action missing here is shown by name.
var actionLabels = map[string]string{
	launchpad.AuditSignIn:                   "Signed in",
	launchpad.AuditSignInFailed:             "Wrong sign-in codes",
	launchpad.AuditLockout:                  "Sign-in locked after too many wrong codes",
	launchpad.AuditNewDevice:                "Sign-in from a new device",
	launchpad.AuditRefreshReuse:             "A copied session token was refused; that sign-in was ended",
	launchpad.AuditLogout:                   "Signed out",
	launchpad.AuditMFAEnrolled:              "Two-factor enrolment started",
	launchpad.AuditMFAConfirmed:             "Two-factor authentication turned on",
	launchpad.AuditMFARecoveryUsed:          "Recovery code used",
	launchpad.AuditMFADisabled:              "Two-factor authentication turned off",
	launchpad.AuditStepUp:                   "Confirmed it was you for a security change",
	launchpad.AuditMFARecoveryRegenerated:   "New recovery codes",
	launchpad.AuditKeyMinted:                "Model key created",
	launchpad.AuditKeyRotated:               "Model key rotated",
	launchpad.AuditKeyRevoked:               "Model key revoked",
	launchpad.AuditKeyLimitChanged:          "Model spend limit changed",
	launchpad.AuditSpendExhausted:           "Model spend limit reached",
	launchpad.AuditSpendRestored:            "Model spend available again",
	launchpad.AuditPlanChanged:              "Plan changed",
	launchpad.AuditPlanUnknown:              "Payment for an unknown plan",
	launchpad.AuditApplyStarted:             "Change to your agent started",
	launchpad.AuditApplyFinished:            "Change to your agent finished",
	launchpad.AuditApplyFailed:              "Change to your agent failed",
	launchpad.AuditHourCapReached:           "Machine hours used up; machine stopped",
	launchpad.AuditHourCapLifted:            "Machine hour cap raised; machine started",
	launchpad.AuditCycleReset:               "New billing cycle; machine started",
	launchpad.AuditOperatorExec:             "Operator command on your machine",
	launchpad.AuditSecretRotated:            "Platform secret rotated",
	launchpad.AuditTenantCreated:            "Agent created",
	launchpad.AuditTenantUpdated:            "Agent updated",
	launchpad.AuditTenantRebuilt:            "Agent rebuilt from a clean image",
	launchpad.AuditTenantDestroyed:          "Agent removed",
	launchpad.AuditTenantSuspended:          "Agent stopped: payment overdue",
	launchpad.AuditTenantResumed:            "Agent started again: payment received",
	launchpad.AuditTenantReset:              "Agent reset to an empty workspace",
	launchpad.AuditTenantRestarted:          "Agent restarted",
	launchpad.AuditBYOKStored:               "Your own model key stored",
	launchpad.AuditBYOKRemoved:              "Your own model key removed",
	launchpad.AuditMFAReenrolRequired:       "Two-factor authentication must be set up again",
	launchpad.AuditLeakResponse:             "Keys replaced after a suspected leak",
	launchpad.AuditAccountDeletionRequested: "Account deletion requested",
	launchpad.AuditAccountErased:            "Account deleted and personal data erased",
	launchpad.AuditRolloutProposed:          "Fleet update proposed",
	launchpad.AuditRolloutStarted:           "Fleet update started",
	launchpad.AuditRolloutPaused:            "Fleet update paused",
	launchpad.AuditRolloutResumed:           "Fleet update resumed",
	launchpad.AuditRolloutAborted:           "Fleet update stopped",
	launchpad.AuditRolloutRolledBack:        "Fleet update undone",
	launchpad.AuditRolloutCompleted:         "Fleet update finished",
	launchpad.AuditRolloutTenant:            "A fleet update reached your agent",
}

func actionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}
