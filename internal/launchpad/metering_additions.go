package launchpad

// Audit actions added by the metering loop (controlplane/metering): the way back from the two
// caps within one billing cycle, so the audit panel shows why a stopped machine runs again
// and why a spent key works again.
const (
	// AuditHourCapLifted: the plan's hour cap was raised above the hours used in this cycle;
	// the machine the cap had stopped is started again.
	AuditHourCapLifted = "usage.hour_cap_lifted"
	// AuditSpendRestored: a sub-key seen exhausted in this cycle has spend left again (its
	// limit was raised, or OpenRouter's limit period reset).
	AuditSpendRestored = "key.spend_restored"
)
