package operator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// OperatorHeader names the operator on an admin request, as the CLI sends it. LAUNCHPAD_ADMIN_TOKEN
// is one shared token, so the name is what its holder declares; a server that authenticates
// operators individually puts the authenticated name in the context with WithOperator
// instead, and that name wins.
const OperatorHeader = "X-Launchpad-Operator"

// maxBodyBytes bounds an exec request body: the command's limit and room for JSON escaping.
const maxBodyBytes = 8 * MaxCommandBytes

type operatorKey struct{}

// WithOperator returns ctx carrying the authenticated operator's name, for HandleExec.
func WithOperator(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, operatorKey{}, name)
}

// OperatorFrom returns the operator name WithOperator put in ctx, or "".
func OperatorFrom(ctx context.Context) string {
	name, _ := ctx.Value(operatorKey{}).(string)
	return name
}

// Deps are what the exec endpoint works with.
type Deps struct {
	Store   launchpad.Store
	Runtime launchpad.Runtime
	Logger  *slog.Logger // nil discards
}

// ExecRequest is the body of POST /api/admin/tenants/{user_id}/exec.
type ExecRequest struct {
	Command []string `json:"command"`
	// App names the tenant when the user has several.
	App string `json:"app,omitempty"`
	// TimeoutSeconds bounds the command (default 30, at most 600).
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
}

// ExecResponse is the command's result. It is returned to the operator only; the audit log
// records the exit code and the output sizes, never the output.
type ExecResponse struct {
	App          string `json:"app"`
	Machine      string `json:"machine"`
	ExitCode     int    `json:"exit_code"`
	Stdout       string `json:"stdout"`
	Stderr       string `json:"stderr"`
	AuditEventID string `json:"audit_event_id"`
	// AuditWarning says the command ran but its result event could not be written.
	AuditWarning string `json:"audit_warning,omitempty"`
}

// HandleExec serves POST /api/admin/tenants/{user_id}/exec for a server that decodes the
// body and writes errors itself (the control plane's handleJSON adapter). The route must
// be behind the admin-token check; the operator is OperatorFrom(ctx), else the
// X-Launchpad-Operator header.
func HandleExec(d Deps) func(w http.ResponseWriter, r *http.Request, req *ExecRequest) (*ExecResponse, error) {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(w http.ResponseWriter, r *http.Request, req *ExecRequest) (*ExecResponse, error) {
		name := OperatorFrom(r.Context())
		if name == "" {
			name = r.Header.Get(OperatorHeader)
		}
		if name == "" {
			return nil, launchpad.Errorf(launchpad.EINVALID, "name yourself: send the %s header (the CLI sends --operator, default $USER)", OperatorHeader)
		}
		if req.TimeoutSeconds < 0 || time.Duration(req.TimeoutSeconds)*time.Second > MaxTimeout {
			return nil, launchpad.Errorf(launchpad.EINVALID, "timeout_seconds must be between 1 and %d", int(MaxTimeout/time.Second))
		}
		userID := r.PathValue("user_id")
		out, err := Run(r.Context(), d.Store, d.Runtime, Request{
			UserID: userID, App: req.App, Operator: name, Command: req.Command,
			Timeout: time.Duration(req.TimeoutSeconds) * time.Second,
		})
		if out != nil && out.AuditWarning != "" {
			log.Error("operator exec ran but its result is not in the audit log", "user", userID, "operator", name, "app", out.App, "warning", out.AuditWarning)
		}
		if err != nil {
			log.Warn("operator exec refused or failed", "user", userID, "operator", name, "code", launchpad.ErrorCode(err), "error", launchpad.ErrorMessage(err))
			return nil, err
		}
		log.Info("operator exec", "user", userID, "operator", name, "app", out.App, "machine", out.Machine, "exit_code", out.Result.ExitCode)
		return &ExecResponse{
			App: out.App, Machine: out.Machine, ExitCode: out.Result.ExitCode, Stdout: out.Result.Stdout, Stderr: out.Result.Stderr,
			AuditEventID: out.Requested.ID, AuditWarning: out.AuditWarning,
		}, nil
	}
}

// Handler is HandleExec as a standalone http.Handler, for a mux pattern with {user_id}
// ("POST /api/admin/tenants/{user_id}/exec") behind the admin-token check. It decodes the
// body strictly (JSON, at most 64 KiB, no unknown fields) and answers errors as
// {"error":{"code","message"}} with the control plane's statuses.
func Handler(d Deps) http.Handler {
	handle := HandleExec(d)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req ExecRequest
		if err := decode(w, r, &req); err != nil {
			writeError(w, err)
			return
		}
		resp, err := handle(w, r, &req)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

func decode(w http.ResponseWriter, r *http.Request, dst *ExecRequest) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return launchpad.Errorf(launchpad.EINVALID, "the request body could not be read, or is larger than %d bytes", maxBodyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return launchpad.Errorf(launchpad.EINVALID, `the request body must be a JSON object like {"command": ["ls", "-la"]}`)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return launchpad.Errorf(launchpad.EINVALID, "the request body has data after its JSON object; send exactly one object")
	}
	return nil
}

// statusOf maps error codes to statuses as the control plane does (controlplane.ErrorStatus).
var statusOf = map[string]int{
	launchpad.EINVALID:      http.StatusBadRequest,
	launchpad.EUNAUTHORIZED: http.StatusUnauthorized,
	launchpad.ENOTFOUND:     http.StatusNotFound,
	launchpad.ECONFLICT:     http.StatusConflict,
	launchpad.ERATELIMITED:  http.StatusTooManyRequests,
	launchpad.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// errorBody is the control plane's error envelope.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, err error) {
	status, ok := statusOf[launchpad.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	var body errorBody
	body.Error.Code, body.Error.Message = launchpad.ErrorCode(err), launchpad.ErrorMessage(err)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
