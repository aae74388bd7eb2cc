package tenant

import (
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The audit events of a tenant's lifecycle, in the user's stream. The caller sets the actor
// and appends them once the change has happened.

// CreatedEvent records a new tenant.
func CreatedEvent(t *launchpad.Tenant) *launchpad.AuditEvent {
	return &launchpad.AuditEvent{Stream: t.UserID, Action: launchpad.AuditTenantCreated, Target: t.AppName,
		Details: map[string]string{"plan": t.Plan, "region": t.Region, "key_source": string(t.KeySource)}}
}

// UpdatedEvent records a reconciled tenant: a reset if its reset generation moved, else a
// rebuild if its rebuild generation did, else a plan change if its plan did, else an update.
func UpdatedEvent(before, after *launchpad.Tenant) *launchpad.AuditEvent {
	details := map[string]string{"plan": after.Plan, "image": after.Image}
	action := launchpad.AuditTenantUpdated
	if before.Plan != after.Plan {
		action, details["previous_plan"] = launchpad.AuditPlanChanged, before.Plan
	}
	if before.RebuildGeneration != after.RebuildGeneration {
		action, details["generation"] = launchpad.AuditTenantRebuilt, strconv.FormatInt(after.RebuildGeneration, 10)
	}
	if before.ResetGeneration != after.ResetGeneration {
		action, details["reset_generation"] = launchpad.AuditTenantReset, strconv.FormatInt(after.ResetGeneration, 10)
		details["volume"] = after.VolumeID
	}
	return &launchpad.AuditEvent{Stream: after.UserID, Action: action, Target: after.AppName, Details: details}
}

// ReconciledEvent is UpdatedEvent for what Reconcile returned: a reset also names the old
// volume, the snapshot it is kept as and until when.
func ReconciledEvent(before *launchpad.Tenant, b *Boundary) *launchpad.AuditEvent {
	ev := UpdatedEvent(before, b.Tenant)
	if k := b.Reset; k != nil {
		ev.Details["previous_volume"], ev.Details["snapshot"] = k.VolumeID, k.SnapshotID
		ev.Details["snapshot_until"] = k.Until.Format(time.RFC3339)
	}
	return ev
}

// DestroyedEvent records a tenant torn down.
func DestroyedEvent(t *launchpad.Tenant) *launchpad.AuditEvent {
	return &launchpad.AuditEvent{Stream: t.UserID, Action: launchpad.AuditTenantDestroyed, Target: t.AppName}
}
