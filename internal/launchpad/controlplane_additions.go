package launchpad

// Audit actions added by the control plane's run-state reconciler (controlplane/metering):
// a tenant held stopped for non-payment, and let run again once paid.
const (
	// AuditTenantSuspended: the subscription is past due beyond the grace period; the
	// tenant's machine was stopped and is kept stopped until it is paid.
	AuditTenantSuspended = "tenant.suspended"
	// AuditTenantResumed: the subscription was paid again; the machine was started (unless
	// the hour cap still holds it).
	AuditTenantResumed = "tenant.resumed"
)
