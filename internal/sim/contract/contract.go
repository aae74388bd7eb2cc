// Package contract checks HTTP traffic against the vendors' own OpenAPI specifications: every
// request a client sends to a simulator, and every response the simulator gives, is validated
// against the spec of its API with pb33f's libopenapi-validator. A deviation is a Violation
// unless a line of allowlist.txt, which names its reason, allows it.
//
// libopenapi-validator rather than kin-openapi: OpenRouter's spec is OpenAPI 3.1, and
// kin-openapi v0.153.0 compiles a JSON Schema 2020-12 validator for every value it checks
// against a 3.1 document (about 4 ms per exchange here), where libopenapi-validator compiles
// each schema once and caches it (about 0.3 ms), which keeps the whole acceptance suite checked
// without slowing it down. It reads both 3.0 and 3.1 natively.
//
// The specs are copies, byte for byte, of the repository's reference data
// (fly-machines.openapi.yaml: superfly/fly-openapi-sdk go/api/openapi.yaml at f0c59fb, January
// 2024; openrouter-keys.openapi.yaml: the key-management endpoints of OpenRouterTeam/go-sdk
// .speakeasy/in.openapi.yaml at 542fe50, August 2026); README.md in internal/sim says where
// they come from. Package simtest wraps every simulator it starts with a Checker, so every
// test that runs a client against a simulator — the provider's acceptance suite included —
// runs with the validation on.
//
// Only tests use this package: the product never imports it.
package contract

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	valerrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

//go:embed fly-machines.openapi.yaml openrouter-keys.openapi.yaml allowlist.txt
var files embed.FS

// API is one vendor API and its spec.
type API struct {
	// Name is how allowlist.txt names the API: "fly" or "openrouter".
	Name string
	// Spec is the spec's file name in this package.
	Spec string
	// BasePath is the path the spec's servers end in: requests below it are the API's.
	BasePath string
}

// The two APIs Launchpad's clients speak.
var (
	Fly        = API{Name: "fly", Spec: "fly-machines.openapi.yaml", BasePath: "/v1"}
	OpenRouter = API{Name: "openrouter", Spec: "openrouter-keys.openapi.yaml", BasePath: "/api/v1"}
)

// Violation is one deviation from the spec.
type Violation struct {
	API string
	// Kind is "route" (the spec has no such operation), "request" or "response".
	Kind string
	// Route is the request as "METHOD /path" below the API's base path: the spec's path
	// template when it has one, else the request's path.
	Route string
	// Status is the response's status, for a response.
	Status int
	// Message is the validator's, on one line.
	Message string
}

func (v Violation) String() string {
	status := ""
	if v.Status != 0 {
		status = fmt.Sprintf(" %d", v.Status)
	}
	return fmt.Sprintf("%s %s %s%s: %s", v.API, v.Kind, v.Route, status, v.Message)
}

// Checker validates the traffic of one API. Safe for concurrent use.
type Checker struct {
	api   API
	spec  *specValidator
	allow []Allowance

	mu         sync.Mutex
	violations []Violation
	allowed    map[int]int // allowlist line → how many deviations it allowed
	checked    int         // exchanges checked
}

// specValidator is one parsed spec, shared by every Checker of its API.
type specValidator struct {
	mu sync.Mutex // validations one at a time: the validator's caches are its own business
	v  validator.Validator
}

// NewChecker returns a Checker of api's traffic. The spec is parsed once per process.
func NewChecker(api API) (*Checker, error) {
	spec, err := specOf(api)
	if err != nil {
		return nil, err
	}
	allow, err := Allowlist()
	if err != nil {
		return nil, err
	}
	return &Checker{api: api, spec: spec, allow: allow, allowed: map[int]int{}}, nil
}

var (
	specsMu sync.Mutex
	specs   = map[string]*specValidator{}
)

// specOf parses api's spec (once).
func specOf(api API) (*specValidator, error) {
	specsMu.Lock()
	defer specsMu.Unlock()
	if s, ok := specs[api.Spec]; ok {
		return s, nil
	}
	raw, err := files.ReadFile(api.Spec)
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, fmt.Errorf("contract: load %s: %w", api.Spec, err)
	}
	// Who may call is the simulators' concern (they check tokens and keys); the check is of
	// shapes, statuses and bodies.
	v, errs := validator.NewValidator(doc, config.WithoutSecurityValidation())
	if len(errs) > 0 {
		return nil, fmt.Errorf("contract: %s: %v", api.Spec, errs)
	}
	s := &specValidator{v: v}
	specs[api.Spec] = s
	return s, nil
}

// Handler wraps next: each request below the API's base path is validated, and so is its
// response once next has answered. Other paths (a simulator's /_sim/ test API) pass unchecked.
// A response an injected fault wrote, or none (a dropped connection), is not checked.
func (c *Checker) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, c.api.BasePath+"/") && r.URL.Path != c.api.BasePath {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "contract: reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		routed := c.checkRequest(r, body)
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if routed && rec.status != 0 && !rec.hijacked && rec.Header().Get(sim.FaultHeader) == "" {
			c.checkResponse(r, body, rec)
		}
	})
}

// probe is a copy of r, with its body, for the validator to read.
func probe(r *http.Request, body []byte) *http.Request {
	p := r.Clone(r.Context())
	p.Body = io.NopCloser(bytes.NewReader(body))
	if p.URL.Host == "" {
		p.URL.Scheme, p.URL.Host = "http", r.Host
	}
	return p
}

// checkRequest validates the request; it reports whether the spec has an operation for it.
func (c *Checker) checkRequest(r *http.Request, body []byte) bool {
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()
	c.spec.mu.Lock()
	_, errs := c.spec.v.ValidateHttpRequest(probe(r, body))
	c.spec.mu.Unlock()
	routed := true
	for _, e := range errs {
		kind := "request"
		if e.ValidationType == "path" {
			kind, routed = "route", false
		}
		c.report(c.violation(kind, r, e, 0))
	}
	return routed
}

// checkResponse validates the recorded response.
func (c *Checker) checkResponse(r *http.Request, body []byte, rec *recorder) {
	res := &http.Response{
		StatusCode: rec.status, Header: rec.Header().Clone(),
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), Request: r,
	}
	c.spec.mu.Lock()
	_, errs := c.spec.v.ValidateHttpResponse(probe(r, body), res)
	c.spec.mu.Unlock()
	for _, e := range errs {
		c.report(c.violation("response", r, e, rec.status))
	}
}

// violation describes one validation error.
func (c *Checker) violation(kind string, r *http.Request, e *valerrors.ValidationError, status int) Violation {
	route := e.SpecPath
	if route == "" || kind == "route" {
		route = strings.TrimPrefix(r.URL.Path, c.api.BasePath)
	}
	msg := e.Message
	if e.Reason != "" && e.Reason != e.Message {
		msg += ": " + e.Reason
	}
	for _, f := range e.SchemaValidationErrors {
		where := f.FieldPath
		if where == "" {
			where = "$"
		}
		msg += "; " + where + " " + f.Reason
	}
	return Violation{API: c.api.Name, Kind: kind, Route: r.Method + " " + route, Status: status, Message: oneLine(msg)}
}

// report records v unless a line of the allowlist allows it.
func (c *Checker) report(v Violation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.allow {
		if a.Allows(v) {
			c.allowed[a.Line]++
			return
		}
	}
	c.violations = append(c.violations, v)
}

// Violations returns the deviations no allowlist line allows, in the order seen.
func (c *Checker) Violations() []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.violations)
}

// Checked returns how many exchanges were checked, and how many deviations each allowlist
// line (by line number) allowed.
func (c *Checker) Checked() (exchanges int, allowed map[int]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int]int, len(c.allowed))
	for k, v := range c.allowed {
		out[k] = v
	}
	return c.checked, out
}

// oneLine folds a multi-line message onto one line, its whitespace collapsed.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// recorder keeps a copy of what the handler answers.
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// Flush lets a long answer through as it is written.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets a simulator drop the connection (a scripted fault); nothing is checked then.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.hijacked = true
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
