package operator

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// OperatorHeader names the operator on an admin request, as the CLI sends it.
// LAUNCHPAD_ADMIN_TOKEN is one shared token, so the name is what its holder declares.
const OperatorHeader = "X-Launchpad-Operator"

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

// HandleExec serves POST /api/admin/tenants/{user_id}/exec for the control plane, which
// decodes the body and writes the answer or the error (its handleJSON adapter). The route
// must be behind the admin-token check; the operator is the X-Launchpad-Operator header.
func HandleExec(d Deps) func(w http.ResponseWriter, r *http.Request, req *ExecRequest) (*ExecResponse, error) {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(w http.ResponseWriter, r *http.Request, req *ExecRequest) (*ExecResponse, error) {
		name := r.Header.Get(OperatorHeader)
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
