package launchpad

import (
	"bytes"
	"encoding/json"
	"regexp"
)

// ApplyRequest is the payload of a JobApply job: the state one user's tenant should
// reach. Empty Product, Region and Image mean the runner's defaults (LAUNCHPAD_PRODUCT,
// LAUNCHPAD_REGION, LAUNCHPAD_IMAGE); set, they are the customer's overrides from checkout.
type ApplyRequest struct {
	UserID  string `json:"user_id"`
	Plan    string `json:"plan,omitempty"`
	Product string `json:"product,omitempty"`
	Region  string `json:"region,omitempty"`
	Image   string `json:"image,omitempty"`
	// KeyRotation is launchpad_subkey.this.rotation_generation and Rebuild
	// launchpad_tenant.this.rebuild_generation (TenantControl): a value above the
	// applied one rotates the sub-key, or rebuilds the machine on the same volume.
	KeyRotation int64 `json:"key_rotation,omitempty"`
	Rebuild     int64 `json:"rebuild,omitempty"`
	// Reset is launchpad_tenant.this.reset_generation (TenantControl.ResetGeneration): a
	// value above the applied one gives the tenant a new empty volume, the old one kept as a
	// snapshot.
	Reset int64 `json:"reset,omitempty"`
	// WorkspaceRetentionDays is launchpad_tenant.this.workspace_retention_days: the days a
	// destroy of the tenant keeps its /workspace as a snapshot (0: none; at most 60). The
	// runner sets it from LAUNCHPAD_RETENTION_SNAPSHOTS on every apply, so the state a later
	// destroy reads holds the operator's setting.
	WorkspaceRetentionDays int64 `json:"workspace_retention_days,omitempty"`
	// Destroy asks for the tenant and its sub-key to be torn down (the subscription ended).
	Destroy bool `json:"destroy,omitempty"`
	// Rollout is the id of the fleet rollout this apply belongs to (its change, or with
	// ReasonRollback the undoing of it): a rollout applies each tenant once, and finds the
	// job it enqueued by this after a restart.
	Rollout string `json:"rollout,omitempty"`
	// Reason says why the job exists (plan_changed, subscription_ended, …); shown in logs and
	// audit entries only.
	Reason string `json:"reason,omitempty"`
}

// Reasons for an apply (ApplyRequest.Reason).
const (
	ReasonSubscription = "subscription"       // a subscription started or changed plan
	ReasonEnded        = "subscription_ended" // destroy after the volume retention
	ReasonSuspended    = "past_due"           // unpaid beyond the grace period
	ReasonAdmin        = "admin"              // an operator asked for it
	ReasonKeyRotation  = "key_rotation"       // a new sub-key was asked for
	ReasonKeyRevoked   = "key_revoked"        // the sub-key was revoked: a BYOK key takes over
	ReasonRebuild      = "rebuild"            // a machine from a clean image was asked for
	ReasonReset        = "reset"              // a new empty volume and machine were asked for
	ReasonErased       = "account_deleted"    // the user's account is being deleted
	ReasonRollout      = "rollout"            // a fleet rollout carries a new image or plan definition
	ReasonRollback     = "rollout_rollback"   // an aborted rollout puts the tenant back
)

// Payload returns d as the JSON stored in a job.
func (d ApplyRequest) Payload() []byte {
	b, err := json.Marshal(d)
	if err != nil { // a struct of strings and a bool always marshals
		panic("launchpad: marshal ApplyRequest: " + err.Error())
	}
	return b
}

// Validate checks every field that reaches the workspace, a file path or a log line. The
// error names the field and what a valid value is.
func (d ApplyRequest) Validate() error {
	if err := ValidateUserID(d.UserID); err != nil {
		return err
	}
	if !d.Destroy || d.Plan != "" {
		if d.Plan == "" {
			return Errorf(EINVALID, "the desired state of user %s has no plan; set plan (a launchpad_plan name) or destroy", d.UserID)
		}
		if err := ValidatePlanName(d.Plan); err != nil {
			return err
		}
	}
	if d.WorkspaceRetentionDays < 0 || d.WorkspaceRetentionDays > 60 {
		return Errorf(EINVALID, "workspace_retention_days %d of user %s is out of range: use 0 (keep no snapshot) to 60 days", d.WorkspaceRetentionDays, d.UserID)
	}
	if d.Product != "" {
		if err := ValidateProduct(d.Product); err != nil {
			return err
		}
	}
	if d.Region != "" {
		if err := ValidateRegion(d.Region); err != nil {
			return err
		}
	}
	if d.Image != "" {
		if err := ValidateImage(d.Image); err != nil {
			return err
		}
	}
	if d.KeyRotation < 0 || d.Rebuild < 0 || d.Reset < 0 {
		return Errorf(EINVALID, "the desired state of user %s has a negative generation (key_rotation %d, rebuild %d, reset %d); generations start at 0 and only grow", d.UserID, d.KeyRotation, d.Rebuild, d.Reset)
	}
	if d.Rollout != "" {
		if err := ValidateRolloutID(d.Rollout); err != nil {
			return err
		}
	}
	if len(d.Reason) > 64 || !reasonPattern.MatchString(d.Reason) {
		return Errorf(EINVALID, "reason %q is not valid: use up to 64 lower-case letters, digits and '_'", Clip(d.Reason, 40))
	}
	return nil
}

// ParseDesired decodes and validates a JobApply payload. Unknown fields are refused, so a
// payload written by a newer version is not half-applied.
func ParseApplyRequest(payload []byte) (ApplyRequest, error) {
	var d ApplyRequest
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return ApplyRequest{}, Errorf(EINVALID, "apply job payload is not a desired tenant state (%v); expected JSON like {\"user_id\":\"…\",\"plan\":\"pro\"}", err)
	}
	if dec.More() {
		return ApplyRequest{}, Errorf(EINVALID, "apply job payload has data after its JSON object")
	}
	return d, d.Validate()
}

// reasonPattern: a reason reaches log lines and audit details.
var reasonPattern = regexp.MustCompile(`^[a-z0-9_]*$`)
