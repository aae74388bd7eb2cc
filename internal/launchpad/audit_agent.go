package launchpad

// Audit actions of what a customer does to their own agent from the dashboard or the API.
const (
	// AuditTenantRestarted: the tenant's machine was stopped and started again, on the same
	// image, volume and key (target: the app).
	AuditTenantRestarted = "tenant.restarted"
	// AuditBYOKStored: the user stored (or replaced) their own model key, sealed; the details
	// never hold it.
	AuditBYOKStored = "key.byok_stored"
	// AuditBYOKRemoved: the user removed their own model key; the sub-key takes over.
	AuditBYOKRemoved = "key.byok_removed"
)

// ReasonBYOK is the apply reason after the user stored or removed their own model key: the
// apply delivers the key the resolution order now picks.
const ReasonBYOK = "byok"
