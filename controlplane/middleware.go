package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// requestInfo is what the outermost middleware learns about a request, for handlers and logs.
type requestInfo struct {
	ID       string // X-Request-Id, the client's if well-formed, else a new one
	ClientIP string // see Server.clientIP
	log      *slog.Logger
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// logger returns the request's logger (with its request id), or the server's.
func (s *Server) logger(ctx context.Context) *slog.Logger {
	if ri := requestInfoFrom(ctx); ri.log != nil {
		return ri.log
	}
	return s.log
}

// requestIDPattern bounds what a client may send as X-Request-Id: it is echoed and logged.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// instrument is the outermost middleware: request id in and out, client IP, a logger with the
// request id for everything below, panic recovery into a JSON 500, one log line and the
// metrics per request. It logs the method, route pattern, path and status, never headers,
// query strings or bodies, which may carry credentials.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // latency is wall time, whatever the injected clock says
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ri := &requestInfo{ID: id, ClientIP: s.clientIP(r)}
		ri.log = s.log.With(slog.String("request_id", id))
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri))
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				ri.log.Error("handler panicked", "panic", p, "stack", string(debug.Stack()))
				switch {
				case rec.wroteHeader:
				case web.WantsHTML(r) && s.web != nil:
					s.web.InternalError(rec, r) // a browser keeps the layout and the nav
				default:
					s.writeError(rec, r, launchpad.Errorf(launchpad.EINTERNAL, "handler panicked"))
				}
			}
			route := r.Pattern // set by the ServeMux on this very request
			if route == "" {
				route = "unmatched"
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			s.metrics.observeRequest(route, r.Method, status, elapsed)
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			ri.log.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("client_ip", ri.ClientIP))
		}()
		next.ServeHTTP(rec, r)
	})
}

// statusRecorder remembers the status and size of a response. It keeps Flush and Unwrap so
// streaming handlers (server-sent events) work through it.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// jsonFallback makes the mux's own answers JSON: an unknown path is a JSON 404 and a known
// path with the wrong method a JSON 405 (with its Allow header), like every other error.
func (s *Server) jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(&fallbackWriter{ResponseWriter: w, s: s, r: r}, r)
	})
}

// fallbackWriter replaces the mux's plain-text 404 and 405 bodies; anything else (redirects
// to a cleaned path) passes through.
type fallbackWriter struct {
	http.ResponseWriter
	s        *Server
	r        *http.Request
	replaced bool
}

func (f *fallbackWriter) WriteHeader(code int) {
	switch code {
	case http.StatusNotFound:
		f.replaced = true
		if web.WantsHTML(f.r) {
			f.Header().Del("Content-Type") // the mux's plain text
			f.s.web.NotFound(f.ResponseWriter, f.r)
			return
		}
		f.s.writeError(f.ResponseWriter, f.r, launchpad.Errorf(launchpad.ENOTFOUND, "there is no %s %s; see the API reference for the routes", f.r.Method, launchpad.Clip(f.r.URL.Path, 100)))
	case http.StatusMethodNotAllowed:
		f.replaced = true
		f.s.writeError(f.ResponseWriter, f.r, launchpad.Errorf(httpjson.MethodNotAllowed, "%s is not allowed on %s; use %s", launchpad.Clip(f.r.Method, 20), launchpad.Clip(f.r.URL.Path, 100), f.Header().Get("Allow")))
	default:
		f.ResponseWriter.WriteHeader(code)
	}
}

func (f *fallbackWriter) Write(p []byte) (int, error) {
	if f.replaced {
		return len(p), nil
	}
	return f.ResponseWriter.Write(p)
}
