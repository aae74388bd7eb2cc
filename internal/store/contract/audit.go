package contract

import "github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"

// CheckAudit refuses (EINVALID) an audit event AppendAudit cannot place: one without a stream
// or without an action.
func CheckAudit(e *launchpad.AuditEvent) error {
	switch {
	case e.Stream == "":
		return launchpad.Errorf(launchpad.EINVALID, "an audit event needs a stream (a user id or %q)", launchpad.PlatformStream)
	case e.Action == "":
		return launchpad.Errorf(launchpad.EINVALID, "an audit event needs an action (for example %q)", launchpad.AuditSignIn)
	}
	return nil
}
