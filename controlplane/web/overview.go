package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/account"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// keyReadTimeout bounds the read of the sub-key's spend, so a slow OpenRouter slows the
// overview by at most this much (the page then shows the last metering pass's state). A
// person waits for the page a little longer than a script polling GET /api/me does.
const keyReadTimeout = 5 * time.Second

// overviewData is the overview page: the account's one state, the tenant, the plan and the
// two caps.
type overviewData struct {
	// State is the account's one state (account.Decide): the page shows its notice, deadline
	// and action first, and nothing below may contradict it.
	State account.State
	// Steps are State's steps with a word for screen readers.
	Steps []stepView
	// ActionExternal is set when State's action leaves the dashboard (the agent itself).
	ActionExternal bool
	// PollMillis is how often the page's script asks for a fresh copy of its state: often
	// while a change runs, seldom otherwise (Config.OverviewPoll).
	PollMillis   int64
	Plan         *launchpad.Plan // nil when the plan record is unknown
	PlanName     string
	Subscription launchpad.Subscription
	Tenants      []tenantView
	Usage        metering.UsageSummary
	Hours        *bar // nil when the plan is unknown
	Spend        *bar // nil without a limited key
	// Charts are the cycle's hours and spend per day; nil before anything was counted.
	Charts *usageCharts
	// SpendUnread is set when the sub-key could not be read just now.
	SpendUnread bool
	// Digest names the changing part as rendered (see digest).
	Digest string
}

// stepView is one step of a running change as the page lists it.
type stepView struct {
	account.Step
	Word string // what a screen reader says before the label
}

var stepWords = map[string]string{
	account.StepDone: "Done", account.StepCurrent: "In progress", account.StepPending: "Not yet", account.StepFailed: "Failed",
}

// steadyPolls is how many times longer the live overview waits between polls when no
// change runs (a payment, a cap or a cancellation may still move the state).
const steadyPolls = 10

// tenantView is one tenant as the overview shows it.
type tenantView struct {
	*launchpad.Tenant
	State string // the machine state in words
}

// bar is a quantity against its cap, drawn as a <meter> with the numbers beside it.
type bar struct {
	Value, Max float64
	Low, High  float64 // where the meter turns amber and red
	Percent    int
}

func newBar(value, max float64) *bar {
	b := &bar{Value: value, Max: max, Low: 0.75 * max, High: 0.9 * max}
	if max > 0 {
		b.Percent = int(math.Round(100 * value / max))
	} else if value > 0 {
		b.Percent = 100
	}
	return b
}

// handleOverview shows the signed-in user's account state, tenant and caps.
func (h *Handler) handleOverview(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := h.overview(r.Context(), s.user)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v := signedInView(s, "Overview", "overview", d)
	v.Scripts = []string{"overview.js"}
	frag, err := h.overviewFragment(v)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	d.Digest = digest(frag)
	h.render(w, r, http.StatusOK, "overview", v)
}

// overviewFragment renders the overview's changing part.
func (h *Handler) overviewFragment(v *view) ([]byte, error) {
	v.AssetVersion = h.pages.assetVersion
	var buf bytes.Buffer
	if err := h.pages.byName["overview"].ExecuteTemplate(&buf, "overview_live", v); err != nil {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "overview fragment: %v", err)
	}
	return buf.Bytes(), nil
}

// digest names a fragment's content, so the page's script swaps it in only when it changed
// (a swap re-announces the state's alert to screen readers).
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// handleOverviewLive answers the overview's changing part alone, for the page's script to
// swap in: the same template as the page, so the two never differ.
func (h *Handler) handleOverviewLive(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := h.overview(r.Context(), s.user)
	if err != nil {
		status, _ := h.errorStatus(w, r, err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	frag, err := h.overviewFragment(signedInView(s, "Overview", "overview", d))
	if err != nil {
		h.log.Error("overview fragment failed to render", "error", err.Error())
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Poll-Millis", strconv.FormatInt(d.PollMillis, 10))
	w.Header().Set("X-Digest", digest(frag))
	_, _ = w.Write(frag)
}

// overview is the user's account overview (package account, which GET /api/me answers too)
// as the page shows it.
func (h *Handler) overview(ctx context.Context, u *launchpad.User) (*overviewData, error) {
	o, err := h.accounts.Overview(ctx, u)
	if err != nil {
		return nil, err
	}
	d := &overviewData{State: o.State, Plan: o.Plan, PlanName: o.PlanName, Subscription: u.Subscription, Usage: o.Usage, SpendUnread: o.SpendUnread}
	d.ActionExternal = strings.HasPrefix(o.State.Action.Href, "https://")
	for _, st := range o.State.Steps {
		d.Steps = append(d.Steps, stepView{Step: st, Word: stepWords[st.Status]})
	}
	d.PollMillis = steadyPolls * h.cfg.OverviewPoll.Milliseconds()
	if len(o.State.Steps) > 0 {
		d.PollMillis = h.cfg.OverviewPoll.Milliseconds()
	}
	for _, t := range o.Tenants {
		d.Tenants = append(d.Tenants, tenantView{Tenant: t, State: machineStateLabel(t.MachineState)})
	}
	if d.Usage.HoursCap != nil {
		d.Hours = newBar(d.Usage.HoursUsed, float64(*d.Usage.HoursCap))
	}
	if d.Usage.SpendUSD != nil && d.Usage.SpendLimitUSD != nil {
		d.Spend = newBar(*d.Usage.SpendUSD, *d.Usage.SpendLimitUSD)
	}
	d.Charts = newUsageCharts(d.Usage)
	return d, nil
}

// machineStateLabel puts a Fly machine state into words.
func machineStateLabel(state launchpad.MachineState) string {
	switch {
	case state == launchpad.MachineStarted:
		return "Running"
	case state.Down():
		return "Stopped"
	case state == launchpad.MachineCreated:
		return "Created, not started"
	case state.Gone():
		return "Removed"
	case state == "":
		return "Not reported yet"
	}
	switch state {
	case launchpad.MachineStarting, launchpad.MachineStopping, launchpad.MachineReplacing, launchpad.MachineUpdating, launchpad.MachineLaunching:
		return "Changing (" + string(state) + ")"
	}
	return string(state)
}
