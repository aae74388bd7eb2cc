package controlplane

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/export"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// AuditEventJSON is an audit event as the API shows it.
type AuditEventJSON struct {
	ID     string `json:"id"`
	Stream string `json:"stream"`
	export.EventFields
	// Index is the event's leaf in the log's Merkle tree (GET /api/audit/{id}/proof proves
	// it); absent while the event is not in the tree yet.
	Index *int64 `json:"index,omitempty"`
}

func auditEventJSON(e *launchpad.AuditEvent) AuditEventJSON {
	out := AuditEventJSON{ID: e.ID, Stream: e.Stream, EventFields: export.FieldsOf(e)}
	if e.Index != launchpad.NotIndexed {
		out.Index = &e.Index
	}
	return out
}

// AuditPage is a page of events, newest first. NextCursor, when set, fetches the older ones.
type AuditPage struct {
	Events     []AuditEventJSON `json:"events"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

const (
	defaultAuditPage = 50
	maxAuditPage     = 500
)

// handleAudit returns the caller's own audit stream, newest first, ?limit= (1-500, default
// 50) at a time, older pages with ?cursor=. There is no parameter naming another stream.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) (*AuditPage, error) {
	q, err := queryParams(r, "cursor", "limit")
	if err != nil {
		return nil, err
	}
	return s.auditStreamPage(r.Context(), principalFrom(r.Context()).UserID, q)
}

// handleAdminAudit returns any stream (?stream=USER_ID or ?stream=platform, paged like
// /api/audit), or without ?stream the newest events of all streams (?limit=, ?since=RFC 3339).
func (s *Server) handleAdminAudit(w http.ResponseWriter, r *http.Request) (*AuditPage, error) {
	q, err := queryParams(r, "stream", "cursor", "limit", "since")
	if err != nil {
		return nil, err
	}
	if stream := q["stream"]; stream != "" {
		if q["since"] != "" {
			return nil, launchpad.Errorf(launchpad.EINVALID, "since applies to the listing of all streams; with stream, page with cursor")
		}
		return s.auditStreamPage(r.Context(), stream, q)
	}
	if q["cursor"] != "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "cursor pages one stream; add stream=, or use since= for all streams")
	}
	limit, err := pageLimit(q["limit"])
	if err != nil {
		return nil, err
	}
	f := launchpad.AuditFilter{Newest: true, Limit: limit}
	if q["since"] != "" {
		if f.Since, err = time.Parse(time.RFC3339Nano, q["since"]); err != nil {
			return nil, launchpad.Errorf(launchpad.EINVALID, "since must be an RFC 3339 time like 2026-01-02T15:04:05Z")
		}
	}
	events, err := s.store.ListAudit(r.Context(), f)
	if err != nil {
		return nil, err
	}
	return &AuditPage{Events: toAuditJSON(events)}, nil
}

// auditStreamPage pages one stream newest first. Seqs of a stream are 1, 2, 3… without gaps
// (the chain guarantees it), so the page below cursor c is exactly seqs [c-limit, c-1].
func (s *Server) auditStreamPage(ctx context.Context, stream string, q map[string]string) (*AuditPage, error) {
	limit, err := pageLimit(q["limit"])
	if err != nil {
		return nil, err
	}
	f := launchpad.AuditFilter{Stream: stream, Newest: true, Limit: limit}
	if c := q["cursor"]; c != "" {
		before, err := strconv.ParseInt(c, 10, 64)
		if err != nil || before < 1 {
			return nil, launchpad.Errorf(launchpad.EINVALID, "cursor must be the next_cursor of the previous page")
		}
		from := max(1, before-int64(limit))
		if before == 1 {
			return &AuditPage{Events: []AuditEventJSON{}}, nil
		}
		f = launchpad.AuditFilter{Stream: stream, AfterSeq: from - 1, Limit: int(before - from)}
	}
	events, err := s.store.ListAudit(ctx, f)
	if err != nil {
		return nil, err
	}
	if !f.Newest {
		slices.Reverse(events)
	}
	page := &AuditPage{Events: toAuditJSON(events)}
	if n := len(events); n > 0 && events[n-1].Seq > 1 {
		page.NextCursor = strconv.FormatInt(events[n-1].Seq, 10)
	}
	return page, nil
}

func pageLimit(s string) (int, error) {
	if s == "" {
		return defaultAuditPage, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxAuditPage {
		return 0, launchpad.Errorf(launchpad.EINVALID, "limit must be a number from 1 to %d", maxAuditPage)
	}
	return n, nil
}

func toAuditJSON(events []*launchpad.AuditEvent) []AuditEventJSON {
	out := make([]AuditEventJSON, 0, len(events))
	for _, e := range events {
		out = append(out, auditEventJSON(e))
	}
	return out
}
