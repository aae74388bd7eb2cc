package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the templates/*.html files that are whole pages; each is parsed with
// layout.html (and the partials), which it fills by defining "content".
var pageNames = []string{"signin", "code", "second_factor", "overview", "audit", "security", "enrol", "recovery_codes", "billing", "data", "error", "agent"}

// pages are the parsed templates, one set per page.
type pages struct {
	byName       map[string]*template.Template
	assetVersion string
}

func loadPages(assetVersion string) (*pages, error) {
	base, err := template.New("layout").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "dashboard templates: %v", err)
	}
	p := &pages{byName: map[string]*template.Template{}, assetVersion: assetVersion}
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, launchpad.Errorf(launchpad.EINTERNAL, "dashboard template %s: %v", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page template gets: the layout's fields and the page's own Data.
type view struct {
	Title    string
	Nav      string // the current section, for aria-current
	SignedIn bool
	Email    string
	CSRF     string
	Flash    string // a fixed confirmation message, never request text
	Error    string
	// RequestID is shown on error pages, to quote when reporting a problem.
	RequestID    string
	AssetVersion string
	Scripts      []string // files of /static/ the page loads (deferred, same origin)
	Data         any
}

// signedInView is a view for a signed-in page.
func signedInView(s *session, title, nav string, data any) *view {
	return &view{Title: title, Nav: nav, SignedIn: true, Email: s.user.Email, CSRF: s.csrf, Data: data}
}

// render writes the page. It renders into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t, ok := h.pages.byName[name]
	if !ok {
		panic("web: no page template " + name)
	}
	v.AssetVersion = h.pages.assetVersion
	if v.RequestID == "" {
		v.RequestID = w.Header().Get("X-Request-Id")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("dashboard page failed to render", "page", name, "error", err.Error())
		http.Error(w, "Internal error; quote request id "+v.RequestID+" when reporting it.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError shows msg on an error page with the request id.
// The page keeps the layout's navigation when the browser is signed in, so a wrong turn is
// one click from the dashboard.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := &view{Title: http.StatusText(status), Error: msg}
	if s, err := h.loadSession(r); err == nil {
		v.SignedIn, v.Email, v.CSRF = true, s.user.Email, s.csrf
	}
	h.render(w, r, status, "error", v)
}

// NotFound answers a browser's request for a page that does not exist with the dashboard's
// own 404 page (the server sends JSON to API clients instead). It sets the security headers
// the dashboard's routes set.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, http.StatusNotFound, "There is no page at this address. Check the link, or go back to the dashboard.")
	})).ServeHTTP(w, r)
}

// InternalError answers a browser whose request failed unexpectedly (a panic the server
// recovered) with the dashboard's 500 page and the request id to quote.
func (h *Handler) InternalError(w http.ResponseWriter, r *http.Request) {
	h.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side; quote request id "+w.Header().Get(httpjson.RequestIDHeader)+" when reporting it.")
	})).ServeHTTP(w, r)
}

// WantsHTML reports whether r is a browser's request for a page rather than an API call:
// not under /api/, and Accept names text/html.
func WantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// failed shows err: a coded error's message (written for users) with its status, anything
// else as an internal error with the request id, its details only in the log.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := h.errorStatus(w, r, err)
	h.renderError(w, r, status, msg)
}

// errorStatus maps err to an HTTP status and the message a user may see. The status and
// Retry-After are the API's (package httpjson); the messages of 5xx answers are the page's own.
func (h *Handler) errorStatus(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	code := launchpad.ErrorCode(err)
	status := httpjson.Status(code)
	if status >= 500 {
		h.log.Error("dashboard request failed", "path", r.URL.Path, "code", code, "error", err.Error())
		if code == launchpad.EUNAVAILABLE {
			return http.StatusServiceUnavailable, "A service the dashboard needs is unavailable just now; try again in a minute."
		}
		return http.StatusInternalServerError, "Something went wrong on our side; quote request id " + w.Header().Get(httpjson.RequestIDHeader) + " when reporting it."
	}
	httpjson.SetRetryAfter(w.Header(), err)
	return status, upperFirst(launchpad.ErrorMessage(err))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// templateFuncs format values for people: times in UTC with the zone named, money in
// dollars and cents, hours to one decimal.
var templateFuncs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2 Jan 2006, 15:04 UTC")
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2 Jan 2006")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// clock is a time to the second, for log lines and audit events.
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2 Jan 15:04:05 UTC")
	},
	// codesFile is a data: URL of recovery codes as a text file, one a line, for the
	// download link; the codes are the server's own, never request text.
	"codesFile": func(codes []string) template.URL {
		return template.URL("data:text/plain;charset=utf-8," + url.PathEscape("Launchpad recovery codes: each signs you in once.\n"+strings.Join(codes, "\n")+"\n"))
	},
	"usd": func(v float64) string { return fmt.Sprintf("$%.2f", v) },
	"hours": func(v float64) string {
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
	},
}
