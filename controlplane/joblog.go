package controlplane

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// How the log stream polls the store, and how often it proves it is alive to proxies that
// close idle connections.
const (
	logPollInterval = 250 * time.Millisecond
	logKeepAlive    = 15 * time.Second
	// maxPartialLine is how much of an unterminated line is held back waiting for its end.
	maxPartialLine = 64 << 10
)

// handleAdminJobLog serves a job's log (tofu's output, secrets redacted by the runner).
//
// By default it is a stream of server-sent events that follows the job until it is over:
//
//	event: status   data: {"status":"running","attempts":1}   (at the start and on each change)
//	event: log      id: BYTE_OFFSET   data: one data line per log line
//	event: end      data: the job as GET /api/admin/jobs/{id} shows it
//
// A client that reconnects with Last-Event-ID resumes after what it has seen. With
// ?follow=false the log so far is answered as text/plain.
func (s *Server) handleAdminJobLog(w http.ResponseWriter, r *http.Request) {
	q, err := queryParams(r, "follow")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	follow := true
	if v, ok := q["follow"]; ok {
		if follow, err = strconv.ParseBool(v); err != nil {
			s.writeError(w, r, launchpad.Errorf(launchpad.EINVALID, "follow %q is not true or false", launchpad.Clip(v, 20)))
			return
		}
	}
	j, err := s.job(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !follow {
		b, err := s.store.ReadJobLog(r.Context(), j.ID, 0)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		return
	}
	var offset int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		if offset, err = strconv.ParseInt(v, 10, 64); err != nil || offset < 0 {
			s.writeError(w, r, launchpad.Errorf(launchpad.EINVALID, "Last-Event-ID %q is not a byte offset of this job's log", launchpad.Clip(v, 20)))
			return
		}
	}
	s.streamJobLog(w, r, j.ID, offset)
}

// streamJobLog writes the SSE stream of handleAdminJobLog from offset on.
func (s *Server) streamJobLog(w http.ResponseWriter, r *http.Request, id string, offset int64) {
	ctx := r.Context()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	sse := &sseWriter{w: w, rc: rc}

	var (
		pending    []byte // the start of a line whose end has not been logged yet
		lastStatus string
		lastSent   = time.Now()
		tick       = time.NewTicker(logPollInterval)
	)
	defer tick.Stop()
	for {
		// The job before the log: once it is over, the runner has flushed its whole log, so
		// the read that follows sees the end.
		j, err := s.store.GetJob(ctx, id)
		if err != nil {
			s.streamError(sse, r, err)
			return
		}
		if j.Status != lastStatus {
			lastStatus = j.Status
			sse.event("status", "", jsonLine(map[string]any{"status": j.Status, "attempts": j.Attempts}))
		}
		chunk, err := s.store.ReadJobLog(ctx, id, offset)
		if err != nil {
			s.streamError(sse, r, err)
			return
		}
		offset += int64(len(chunk))
		pending = append(pending, chunk...)
		over := terminal(j.Status)
		if cut := bytes.LastIndexByte(pending, '\n'); cut >= 0 || over || len(pending) > maxPartialLine {
			lines := pending
			if cut >= 0 && !over && len(pending) <= maxPartialLine {
				lines = pending[:cut+1]
			}
			pending = pending[len(lines):]
			if len(lines) > 0 {
				sse.event("log", strconv.FormatInt(offset-int64(len(pending)), 10), logData(lines))
			}
		}
		if over {
			out := jobJSON(j)
			sse.event("end", "", jsonLine(out))
			_ = sse.flush()
			return
		}
		if sse.wrote {
			lastSent = time.Now()
		} else if time.Since(lastSent) >= logKeepAlive {
			sse.comment("keep-alive")
			lastSent = time.Now()
		}
		if err := sse.flush(); err != nil {
			return // the client went away
		}
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return // shutting down: the client reconnects elsewhere with Last-Event-ID
		case <-tick.C:
		}
	}
}

// streamError ends a stream whose headers are sent with an error event in the usual envelope.
func (s *Server) streamError(sse *sseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	if launchpad.ErrorCode(err) == launchpad.EINTERNAL {
		s.logger(r.Context()).Error("job log stream failed", "error", err.Error())
	}
	sse.event("error", "", jsonLine(httpjson.Envelope(err, requestInfoFrom(r.Context()).ID)))
	_ = sse.flush()
}

// terminal reports whether a job status is final: a failed attempt with attempts left goes
// back to queued, so failed here means failed for good.
func terminal(status string) bool {
	return status == launchpad.JobSucceeded || status == launchpad.JobFailed || status == launchpad.JobSuperseded
}

// sseWriter writes server-sent events and remembers whether anything awaits a flush.
type sseWriter struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	wrote bool
}

// event writes one event. data is one or more lines; each becomes a data: line.
func (e *sseWriter) event(name, id string, data []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "event: %s\n", name)
	if id != "" {
		fmt.Fprintf(&b, "id: %s\n", id)
	}
	for _, l := range data {
		b.WriteString("data: ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, _ = e.w.Write([]byte(b.String()))
	e.wrote = true
}

func (e *sseWriter) comment(text string) {
	_, _ = fmt.Fprintf(e.w, ": %s\n\n", text)
	e.wrote = true
}

func (e *sseWriter) flush() error {
	if !e.wrote {
		return nil
	}
	e.wrote = false
	return e.rc.Flush()
}

// logData splits log output into SSE data lines. SSE ends a line at CR, LF or CRLF and wants
// UTF-8, so carriage returns go and invalid bytes become U+FFFD.
func logData(b []byte) []string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}

func jsonLine(v any) []string {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	return []string{string(b)}
}
