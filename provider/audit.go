package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// recordAudit appends a lifecycle's event to its user's audit stream, as done by Terraform.
// The change it records has already happened at the cloud provider, so a failed write is a
// warning, not an error: failing the apply would leave state behind reality.
func (d *providerData) recordAudit(ctx context.Context, diags *diag.Diagnostics, ev *launchpad.AuditEvent) {
	if ev == nil {
		return // nothing worth recording changed
	}
	st, ds := d.Store(ctx)
	diags.Append(ds...)
	if ds.HasError() {
		return
	}
	ev.Actor = launchpad.ActorTerraform
	if _, err := st.AppendAudit(ctx, ev); err != nil {
		diags.AddWarning("Audit event not written",
			fmt.Sprintf("The change succeeded, but recording %s for user %s in the audit log failed: %s",
				ev.Action, ev.Stream, launchpad.ErrorMessage(err)))
	}
}
