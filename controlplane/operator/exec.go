package operator

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Limits on a command.
const (
	DefaultTimeout  = 30 * time.Second
	MaxTimeout      = 10 * time.Minute
	MaxArgs         = 256
	MaxCommandBytes = 8 << 10 // all arguments together
)

// Audit phases: every exec writes a "requested" event before anything runs, then one
// "completed" (exit code and output sizes) or "failed" event.
const (
	PhaseRequested = "requested"
	PhaseCompleted = "completed"
	PhaseFailed    = "failed"
)

// resultAuditTimeout bounds the write of the result event, which is made even when the
// caller has gone away: the command ran, so the record must say how it ended.
const resultAuditTimeout = 10 * time.Second

// Request is one operator command for one user's tenant machine.
type Request struct {
	UserID string
	// App names the tenant when the user has several; empty means the user's only one.
	App      string
	Operator string // the operator's name; the audit actor is launchpad.OperatorActor(Operator)
	Command  []string
	Timeout  time.Duration // 0 means DefaultTimeout
}

// Outcome is what an exec did.
type Outcome struct {
	App, Machine string
	Result       *launchpad.ExecResult
	// Requested is the audit event written before the command ran.
	Requested *launchpad.AuditEvent
	// AuditWarning is set when the command ran but its result event could not be written.
	AuditWarning string
}

// Run writes an AuditOperatorExec event to the user's stream (actor "operator:<name>",
// details: the command as a JSON array, the machine, the app) BEFORE running the command
// through Runtime.Exec on the user's tenant machine, and refuses to run — returning the audit
// error, coded EUNAVAILABLE — if that write fails. The result's exit code and output lengths
// are then audited too (not the output itself). The user must have exactly one tenant, or
// req.App must name one.
//
// Errors: EINVALID for a bad user id, operator name, command or timeout, or a user with
// several tenants and no app named; ENOTFOUND for a user without that tenant or a tenant
// without a machine; EUNAVAILABLE when the audit log cannot be written (nothing ran); the
// runtime's error, wrapped, when the command could not be run (audited as failed).
func Run(ctx context.Context, st launchpad.Store, rt launchpad.Runtime, req Request) (*Outcome, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	t, err := tenantOf(ctx, st, req.UserID, req.App)
	if err != nil {
		return nil, err
	}
	command, _ := json.Marshal(req.Command) // []string always marshals
	requested, err := st.AppendAudit(ctx, &launchpad.AuditEvent{
		Stream: req.UserID,
		Actor:  launchpad.OperatorActor(req.Operator),
		Action: launchpad.AuditOperatorExec,
		Target: t.AppName,
		Details: map[string]string{
			"phase":   PhaseRequested,
			"command": string(command),
			"machine": t.MachineID,
			"app":     t.AppName,
			"timeout": req.Timeout.String(),
		},
	})
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE,
			"the command was not run: it must be written to the user's audit log first, and the audit log could not be written (%s); try again when the store is back",
			launchpad.ErrorMessage(err))
	}

	out := &Outcome{App: t.AppName, Machine: t.MachineID, Requested: requested}
	res, execErr := rt.Exec(ctx, t.AppName, t.MachineID, req.Command, req.Timeout)
	details := map[string]string{"machine": t.MachineID, "app": t.AppName, "request": requested.ID}
	if execErr != nil {
		details["phase"] = PhaseFailed
		details["error_code"] = launchpad.ErrorCode(execErr)
	} else {
		details["phase"] = PhaseCompleted
		details["exit_code"] = strconv.Itoa(res.ExitCode)
		details["stdout_bytes"] = strconv.Itoa(len(res.Stdout))
		details["stderr_bytes"] = strconv.Itoa(len(res.Stderr))
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), resultAuditTimeout)
	defer cancel()
	if _, err := st.AppendAudit(actx, &launchpad.AuditEvent{
		Stream: req.UserID, Actor: launchpad.OperatorActor(req.Operator), Action: launchpad.AuditOperatorExec, Target: t.AppName, Details: details,
	}); err != nil {
		out.AuditWarning = "the command ran, but its result could not be written to the audit log: " + launchpad.ErrorMessage(err)
	}
	if execErr != nil {
		return out, launchpad.Wrapf(execErr, "running the command in machine %s of %s", t.MachineID, t.AppName)
	}
	out.Result = res
	return out, nil
}

// tenantOf finds the tenant the command runs on: the user's only tenant, or the one named.
func tenantOf(ctx context.Context, st launchpad.Store, userID, app string) (*launchpad.Tenant, error) {
	tenants, err := st.ListTenants(ctx, launchpad.TenantFilter{UserID: userID})
	if err != nil {
		return nil, launchpad.Wrapf(err, "finding the tenants of user %s", userID)
	}
	var t *launchpad.Tenant
	switch {
	case app != "":
		for _, c := range tenants {
			if c.AppName == app {
				t = c
			}
		}
		if t == nil {
			return nil, launchpad.Errorf(launchpad.ENOTFOUND, "user %s has no tenant %s", userID, app)
		}
	case len(tenants) == 0:
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "user %s has no tenant", userID)
	case len(tenants) > 1:
		names := make([]string, len(tenants))
		for i, c := range tenants {
			names[i] = c.AppName
		}
		return nil, launchpad.Errorf(launchpad.EINVALID, "user %s has %d tenants (%s): name the app to run the command in", userID, len(tenants), strings.Join(names, ", "))
	default:
		t = tenants[0]
	}
	if t.MachineID == "" {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "tenant %s has no machine (it is being created, or was destroyed); apply it first", t.AppName)
	}
	return t, nil
}
