package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Fly's log API (GET /api/v1/apps/{app}/logs, on api.fly.io, which fly-go v0.3.1's
// Client.GetAppLogs calls) answers the app's recent log lines, oldest first, in pages:
// {"data":[{"id","type":"logs","attributes":{timestamp,message,level,instance,region,meta}}],
// "meta":{"next_token"}}; the next request passes next_token back to get only newer lines.
// The simulator keeps a ring of the last flyLogRing lines per machine: one line for every
// machine event (launch, start, stop, exit, update, destroy) and whatever AppendLog adds,
// stamped on the Clock.

// flyLogRing is how many lines the simulator keeps per machine; older ones are dropped.
const flyLogRing = 500

// flyLogPage is the most lines one answer carries.
const flyLogPage = 100

// flyLogLine is one line of a machine's output.
type flyLogLine struct {
	Seq     uint64    `json:"seq"` // unique in the app, increasing: the next_token
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
}

// flyLogRoutes registers the log API. It lives on api.fly.io, not on the Machines API, so its
// path has no /v1 prefix.
func (f *Fly) flyLogRoutes(mux *http.ServeMux) {
	f.handle(mux, "GET /api/v1/apps/{app}/logs", "", f.appLogs)
}

// appLogs answers the app's lines after ?next_token= (all kept lines without one), across its
// machines or of one (?instance=, a machine id or one of its instance ids), up to flyLogPage.
// A next_token that is not a number is 400, as the simulator's own strictness.
func (f *Fly) appLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after uint64
	if t := q.Get("next_token"); t != "" {
		n, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			writeFlyError(w, http.StatusBadRequest, "invalid_argument: next_token must be the value of meta.next_token of an earlier answer")
			return
		}
		after = n
	}
	instance, region := q.Get("instance"), q.Get("region")
	f.mu.Lock()
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		f.mu.Unlock()
		writeFlyErr(w, err)
		return
	}
	type entry struct {
		line *flyLogLine
		m    *flyMachine
	}
	var lines []entry
	for _, m := range a.Machines {
		if instance != "" && m.ID != instance && !slices.Contains(m.Instances, instance) {
			continue
		}
		if region != "" && m.Region != region {
			continue
		}
		for _, l := range f.machineLogLocked(a, m) {
			if l.Seq > after {
				lines = append(lines, entry{l, m})
			}
		}
	}
	slices.SortFunc(lines, func(x, y entry) int { return int(x.line.Seq) - int(y.line.Seq) })
	if len(lines) > flyLogPage {
		lines = lines[:flyLogPage]
	}
	type attributes struct {
		Timestamp string `json:"timestamp"`
		Message   string `json:"message"`
		Level     string `json:"level"`
		Instance  string `json:"instance"`
		Region    string `json:"region"`
		Meta      struct {
			Instance string `json:"instance"`
			Region   string `json:"region"`
		} `json:"meta"`
	}
	type datum struct {
		ID         string     `json:"id"`
		Type       string     `json:"type"`
		Attributes attributes `json:"attributes"`
	}
	out := struct {
		Data []datum `json:"data"`
		Meta struct {
			NextToken string `json:"next_token"`
		} `json:"meta"`
	}{Data: []datum{}}
	next := after
	for _, e := range lines {
		at := attributes{Timestamp: e.line.Time.UTC().Format(time.RFC3339Nano), Message: e.line.Message, Level: e.line.Level, Instance: e.m.ID, Region: e.m.Region}
		at.Meta.Instance, at.Meta.Region = e.m.ID, e.m.Region
		out.Data = append(out.Data, datum{ID: strconv.FormatUint(e.line.Seq, 10), Type: "logs", Attributes: at})
		next = e.line.Seq
	}
	f.mu.Unlock()
	out.Meta.NextToken = strconv.FormatUint(next, 10)
	writeJSON(w, http.StatusOK, out)
}

// machineLogLocked brings the machine's ring up to date with its events and returns it.
func (f *Fly) machineLogLocked(a *flyApp, m *flyMachine) []*flyLogLine {
	ring := f.logRingLocked(a.Name, m.ID)
	for ; ring.events < len(m.Events); ring.events++ {
		e := m.Events[ring.events]
		f.appendLogLocked(ring, time.UnixMilli(e.Timestamp), "info", fmt.Sprintf("machine %s: %s (%s, by %s)", m.ID, e.Type, e.Status, e.Source))
	}
	return ring.lines
}

// AppendLog adds a line of output to a machine's log, as the program in it would print it
// (tests and the sandbox: the simulator runs no program). It fails for an unknown app or
// machine.
func (f *Fly) AppendLog(app, machineID, level, message string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.st.Apps[app]
	if !ok {
		return fmt.Errorf("sim: no app %s", app)
	}
	m, ok := a.Machines[machineID]
	if !ok {
		return fmt.Errorf("sim: app %s has no machine %s", app, machineID)
	}
	f.settleAppLocked(a, f.clock.Now())
	ring := f.logRingLocked(app, machineID)
	f.machineLogLocked(a, m) // the events so far come first
	f.appendLogLocked(ring, f.clock.Now(), level, message)
	return nil
}

// flyLogs is the log rings of every machine, by app and machine id. They are not part of the
// state file: a restarted simulator starts its rings again from the machines' events.
type flyLogs struct {
	seq   uint64
	rings map[string]*flyLogRingBuf
}

type flyLogRingBuf struct {
	events int // how many of the machine's events are in the ring
	lines  []*flyLogLine
}

func (f *Fly) logRingLocked(app, machineID string) *flyLogRingBuf {
	if f.logs.rings == nil {
		f.logs.rings = map[string]*flyLogRingBuf{}
	}
	key := app + "/" + machineID
	ring, ok := f.logs.rings[key]
	if !ok {
		ring = &flyLogRingBuf{}
		f.logs.rings[key] = ring
	}
	return ring
}

func (f *Fly) appendLogLocked(ring *flyLogRingBuf, at time.Time, level, message string) {
	f.logs.seq++
	ring.lines = append(ring.lines, &flyLogLine{Seq: f.logs.seq, Time: at.UTC(), Level: level, Message: message})
	if n := len(ring.lines); n > flyLogRing {
		ring.lines = slices.Clone(ring.lines[n-flyLogRing:])
	}
}
