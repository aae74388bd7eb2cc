package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Agent is what the control plane does to a customer's own agent, which the dashboard calls
// instead of repeating: the same functions as POST /api/me/restart, /api/me/rebuild,
// /api/me/reset, /api/me/rotate-key and PUT or DELETE /api/me/byok, with their checks, rate
// limits and audit events. Errors are launchpad coded errors whose messages are shown to the
// user; the actions that need a recent sign-in answer ESTEPUP.
type Agent interface {
	// Restart stops the user's machine and starts it again.
	Restart(r *http.Request, sess *launchpad.Session) error
	// Rebuild replaces the machine by one from a clean image, on the same volume.
	Rebuild(r *http.Request, sess *launchpad.Session) error
	// Reset gives the agent a new empty volume (the old one kept as a snapshot) and a new
	// machine. Step-up.
	Reset(r *http.Request, sess *launchpad.Session) error
	// RotateKey mints a new model sub-key, delivers it and then revokes the old one.
	RotateKey(r *http.Request, sess *launchpad.Session) error
	// SetBYOK seals key as the user's own model key ("" removes it) and delivers the key the
	// resolution order then picks. Step-up.
	SetBYOK(r *http.Request, sess *launchpad.Session, key string) error
	// Logs returns up to max of the agent's newest log lines, oldest first; EUNAVAILABLE when
	// Fly's log API cannot be read.
	Logs(ctx context.Context, app string, max int) ([]*launchpad.LogLine, error)
}

// agentLogLines is how many log lines the agent page shows.
const agentLogLines = 50

// agentData is the agent page.
type agentData struct {
	HasAgent   bool
	Actions    bool // the control plane can act on the agent (Deps.Agent is set)
	App        string
	URL        string // https://{app}.fly.dev
	Region     string
	Size       string // the machine's size, in words
	State      string // the machine's state as last seen
	KeySource  string // where the model key comes from, in words
	HasBYOK    bool
	Logs       []*launchpad.LogLine
	LogsError  string
	LogsAbsent bool // no log reader: the logs cannot be shown here
}

// agentDone are the confirmations of the agent page's actions (?done=); only these fixed
// texts are shown.
var agentDone = map[string]string{
	"restarted":    "Your agent is restarting; it is back in a few seconds.",
	"rebuilt":      "A clean rebuild of your agent was started; your files are kept. It takes a minute or two.",
	"reset":        "A reset of your agent was started: it gets an empty workspace, and a snapshot of the old one is kept.",
	"key_rotated":  "A new model key was asked for; it replaces the old one within a minute or two.",
	"byok_stored":  "Your own model key is stored, sealed; it cannot be shown again. Your agent switches to it within a minute or two.",
	"byok_removed": "Your own model key is removed; your agent goes back to the key Launchpad provides.",
}

// keySourceWords say where the model key comes from.
var keySourceWords = map[launchpad.KeySource]string{
	launchpad.KeySourceBYOK:   "your own key (bring your own key)",
	launchpad.KeySourceSubKey: "a key Launchpad made for your agent, with your plan's spend limit",
	launchpad.KeySourcePooled: "Launchpad's shared trial key",
}

// handleAgent shows the agent: its address, size and region, its recent logs and what can be
// done to it.
func (h *Handler) handleAgent(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d := &agentData{Actions: h.agent != nil, HasBYOK: s.user.BYOKKey != ""}
	tenants, err := h.store.ListTenants(ctx, launchpad.TenantFilter{UserID: s.user.ID})
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if len(tenants) > 0 {
		t := tenants[0]
		d.HasAgent, d.App, d.URL, d.Region, d.State = true, t.AppName, "https://"+t.AppName+".fly.dev", t.Region, string(t.MachineState)
		d.KeySource = keySourceWords[t.KeySource]
		if p, err := h.store.GetPlan(ctx, t.Plan); err == nil {
			d.Size = guestWords(p.Guest, p.VolumeSizeGB)
		}
		h.agentLogs(ctx, d)
	}
	v := signedInView(s, "Your agent", "agent", d)
	v.Flash = agentDone[r.URL.Query().Get("done")]
	h.render(w, r, http.StatusOK, "agent", v)
}

// agentLogs fills the page's log lines, or says why there are none; a failure to read them
// never fails the page.
func (h *Handler) agentLogs(ctx context.Context, d *agentData) {
	if h.agent == nil {
		d.LogsAbsent = true
		return
	}
	ctx, cancel := context.WithTimeout(ctx, agentLogsTimeout)
	defer cancel()
	lines, err := h.agent.Logs(ctx, d.App, agentLogLines)
	if err != nil {
		h.log.Warn("agent logs could not be read", "app", d.App, "error", err.Error())
		d.LogsError = "Your agent's logs cannot be read just now; reload the page in a minute."
		return
	}
	d.Logs = lines
}

// agentLogsTimeout bounds the log read, so a slow log API does not hold the page.
const agentLogsTimeout = 5 * time.Second

// guestWords puts a machine size into words: "1 shared CPU, 1 GB memory, 10 GB disk".
func guestWords(g launchpad.Guest, volumeGB int) string {
	cpus := fmt.Sprintf("%d %s CPU", g.CPUs, g.CPUKind)
	if g.CPUs != 1 {
		cpus += "s"
	}
	mem := fmt.Sprintf("%d MB", g.MemoryMB)
	if g.MemoryMB%1024 == 0 {
		mem = fmt.Sprintf("%d GB", g.MemoryMB/1024)
	}
	out := cpus + ", " + mem + " memory"
	if volumeGB > 0 {
		out += fmt.Sprintf(", %d GB disk", volumeGB)
	}
	return out
}

// agentAction serves one of the agent page's forms: it calls act and comes back to the page
// with its confirmation; an action refused for want of a recent sign-in goes to the security
// page's "confirm it is you" card.
func (h *Handler) agentAction(done string, act func(*http.Request, *session) error) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if h.agent == nil {
			h.renderError(w, r, http.StatusServiceUnavailable, "This control plane cannot act on agents: it is not connected to Fly.")
			return
		}
		if err := act(r, s); err != nil {
			if launchpad.ErrorCode(err) == launchpad.ESTEPUP {
				h.StepUpPage(w, r)
				return
			}
			h.failed(w, r, err)
			return
		}
		http.Redirect(w, r, "/agent?done="+done, http.StatusSeeOther)
	}
}

func (h *Handler) agentRoutes(post func(string, http.HandlerFunc) route, get func(string, http.HandlerFunc) route) []route {
	return []route{
		get("/agent", h.signedIn(h.handleAgent)),
		post("/agent/restart", h.signedInForm(h.agentAction("restarted", func(r *http.Request, s *session) error { return h.agent.Restart(r, s.sess) }))),
		post("/agent/rebuild", h.signedInForm(h.agentAction("rebuilt", func(r *http.Request, s *session) error { return h.agent.Rebuild(r, s.sess) }))),
		post("/agent/reset", h.signedInForm(h.agentAction("reset", func(r *http.Request, s *session) error {
			if r.PostFormValue("confirm") != "reset" {
				return launchpad.Errorf(launchpad.EINVALID, "a reset empties your workspace: tick \"I understand\" to confirm it")
			}
			return h.agent.Reset(r, s.sess)
		}))),
		post("/agent/rotate-key", h.signedInForm(h.agentAction("key_rotated", func(r *http.Request, s *session) error { return h.agent.RotateKey(r, s.sess) }))),
		post("/agent/byok", h.signedInForm(h.agentAction("byok_stored", func(r *http.Request, s *session) error {
			key := r.PostFormValue("key")
			if key == "" {
				return launchpad.Errorf(launchpad.EINVALID, "the key field is empty: paste your model key, or use \"Remove my key\" instead")
			}
			return h.agent.SetBYOK(r, s.sess, key)
		}))),
		post("/agent/byok/remove", h.signedInForm(h.agentAction("byok_removed", func(r *http.Request, s *session) error { return h.agent.SetBYOK(r, s.sess, "") }))),
	}
}
