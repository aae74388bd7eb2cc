package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// recordAudit appends an event to the user's audit stream. The change it records has already
// happened at the cloud provider, so a failed write is a warning, not an error: failing the
// apply would leave state behind reality.
func recordAudit(ctx context.Context, st launchpad.Store, diags *diag.Diagnostics, userID, action, target string, details map[string]string) {
	_, err := st.AppendAudit(ctx, &launchpad.AuditEvent{
		Stream:  userID,
		Actor:   launchpad.ActorTerraform,
		Action:  action,
		Target:  target,
		Details: details,
	})
	if err != nil {
		diags.AddWarning("Audit event not written",
			fmt.Sprintf("The change succeeded, but recording %s for user %s in the audit log failed: %s",
				action, userID, launchpad.ErrorMessage(err)))
	}
}
