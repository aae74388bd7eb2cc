package web

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// auditGroup is a kind of event the audit panel filters by: the actions whose names start
// with one of its prefixes.
type auditGroup struct {
	Key, Label string
	prefixes   []string
}

// auditGroups are the filter's choices, in the order the page lists them.
var auditGroups = []auditGroup{
	{"sign-in", "Sign-ins and security", []string{"auth."}},
	{"agent", "Your agent", []string{"tenant.", "apply."}},
	{"keys", "Model keys", []string{"key."}},
	{"billing", "Plan and usage", []string{"plan.", "usage."}},
	{"operator", "Operators and platform", []string{"operator.", "platform."}},
}

// auditGroupOf is the key of the group an action belongs to ("other" for none).
func auditGroupOf(action string) string {
	for _, g := range auditGroups {
		for _, p := range g.prefixes {
			if strings.HasPrefix(action, p) {
				return g.Key
			}
		}
	}
	return "other"
}

// validAuditGroup reports whether key names a group of the filter.
func validAuditGroup(key string) bool {
	for _, g := range auditGroups {
		if g.Key == key {
			return true
		}
	}
	return false
}

// auditFilterScan is how many of the newest events a filtered page looks through.
const auditFilterScan = 1000

// auditExportMax bounds a download, so one request cannot read an unbounded stream.
const auditExportMax = 100_000

// auditExportRow is one event of a download, in the words of the page with the raw names
// beside them.
type auditExportRow struct {
	Seq     int64             `json:"seq"`
	Time    string            `json:"time"` // RFC 3339, UTC, to the microsecond
	Who     string            `json:"who"`
	What    string            `json:"what"`
	Action  string            `json:"action"`
	Target  string            `json:"target,omitempty"`
	Details map[string]string `json:"details,omitempty"`
	Hash    string            `json:"hash"`
}

// handleAuditDownload sends the user's whole audit stream, oldest first, as JSON
// (?format=json, the default) or CSV (?format=csv), as a file.
func (h *Handler) handleAuditDownload(w http.ResponseWriter, r *http.Request, s *session) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		h.renderError(w, r, http.StatusBadRequest, "The download's format must be json or csv; use the links on the audit page.")
		return
	}
	var rows []auditExportRow
	var after int64
	for len(rows) < auditExportMax {
		events, err := h.store.ListAudit(r.Context(), launchpad.AuditFilter{Stream: s.user.ID, AfterSeq: after, Limit: auditFilterScan})
		if err != nil {
			h.failed(w, r, err)
			return
		}
		for _, e := range events {
			row := h.auditRow(s.user.ID, e)
			rows = append(rows, auditExportRow{Seq: e.Seq, Time: e.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), Who: row.Actor, What: row.Action,
				Action: e.Action, Target: e.Target, Details: e.Details, Hash: e.Hash})
			after = e.Seq
		}
		if len(events) < auditFilterScan {
			break
		}
	}
	name := "launchpad-audit-" + h.now().UTC().Format("20060102") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "json" {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []auditExportRow{}
		}
		_ = enc.Encode(rows)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"seq", "time", "who", "what", "action", "target", "details", "hash"})
	for _, row := range rows {
		_ = cw.Write([]string{strconv.FormatInt(row.Seq, 10), row.Time, csvCell(row.Who), csvCell(row.What), row.Action, csvCell(row.Target), csvCell(detailsText(row.Details)), row.Hash})
	}
	cw.Flush()
}

// detailsText is an event's details as "key=value; …", keys in order.
func detailsText(d map[string]string) string {
	var b strings.Builder
	for _, x := range sortedDetails(d) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(x.Key + "=" + x.Value)
	}
	return b.String()
}

// csvCell keeps a cell from being read as a formula by a spreadsheet: a value starting with
// = + - @ or a tab gets a leading apostrophe.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// relativeTime says how long ago t was, for the audit panel beside the exact time.
func relativeTime(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	default:
		return strconv.Itoa(int(d.Hours()/24)) + " days ago"
	}
}
