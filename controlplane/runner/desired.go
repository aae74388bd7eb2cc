package runner

import (
	"bytes"
	"encoding/json"
	"regexp"
	"unicode/utf8"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Desired is the payload of a launchpad.JobApply job: the state one user's tenant should
// reach. Empty Product, Region and Image mean the runner's defaults (LAUNCHPAD_PRODUCT,
// LAUNCHPAD_REGION, LAUNCHPAD_IMAGE); set, they are the customer's overrides from checkout.
type Desired struct {
	UserID  string `json:"user_id"`
	Plan    string `json:"plan,omitempty"`
	Product string `json:"product,omitempty"`
	Region  string `json:"region,omitempty"`
	Image   string `json:"image,omitempty"`
	// KeyRotation is launchpad_subkey.this.rotation_generation and Rebuild
	// launchpad_tenant.this.rebuild_generation (launchpad.TenantControl): a value above the
	// applied one rotates the sub-key, or rebuilds the machine on the same volume.
	KeyRotation int64 `json:"key_rotation,omitempty"`
	Rebuild     int64 `json:"rebuild,omitempty"`
	// Destroy asks for the tenant and its sub-key to be torn down (the subscription ended).
	Destroy bool `json:"destroy,omitempty"`
	// Reason says why the job exists (plan_changed, subscription_ended, …); shown in logs and
	// audit entries only.
	Reason string `json:"reason,omitempty"`
}

// Reasons for an apply.
const (
	ReasonSubscription = "subscription"       // a subscription started or changed plan
	ReasonEnded        = "subscription_ended" // destroy after the volume retention
	ReasonSuspended    = "past_due"           // unpaid beyond the grace period
	ReasonAdmin        = "admin"              // an operator asked for it
	ReasonKeyRotation  = "key_rotation"       // a new sub-key was asked for
	ReasonKeyRevoked   = "key_revoked"        // the sub-key was revoked: a BYOK key takes over
	ReasonRebuild      = "rebuild"            // a machine from a clean image was asked for
)

// Payload returns d as the JSON stored in a job.
func (d Desired) Payload() []byte {
	b, err := json.Marshal(d)
	if err != nil { // a struct of strings and a bool always marshals
		panic("runner: marshal Desired: " + err.Error())
	}
	return b
}

// Validate checks every field that reaches the workspace, a file path or a log line. The
// error names the field and what a valid value is.
func (d Desired) Validate() error {
	if err := launchpad.ValidateUserID(d.UserID); err != nil {
		return err
	}
	if !d.Destroy || d.Plan != "" {
		if d.Plan == "" {
			return launchpad.Errorf(launchpad.EINVALID, "the desired state of user %s has no plan; set plan (a launchpad_plan name) or destroy", d.UserID)
		}
		if err := launchpad.ValidatePlanName(d.Plan); err != nil {
			return err
		}
	}
	if d.Product != "" {
		if err := launchpad.ValidateProduct(d.Product); err != nil {
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
	if d.KeyRotation < 0 || d.Rebuild < 0 {
		return launchpad.Errorf(launchpad.EINVALID, "the desired state of user %s has a negative generation (key_rotation %d, rebuild %d); generations start at 0 and only grow", d.UserID, d.KeyRotation, d.Rebuild)
	}
	if len(d.Reason) > 64 || !reasonPattern.MatchString(d.Reason) {
		return launchpad.Errorf(launchpad.EINVALID, "reason %q is not valid: use up to 64 lower-case letters, digits and '_'", launchpad.Clip(d.Reason, 40))
	}
	return nil
}

// ParseDesired decodes and validates a JobApply payload. Unknown fields are refused, so a
// payload written by a newer version is not half-applied.
func ParseDesired(payload []byte) (Desired, error) {
	var d Desired
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Desired{}, launchpad.Errorf(launchpad.EINVALID, "apply job payload is not a desired tenant state (%v); expected JSON like {\"user_id\":\"…\",\"plan\":\"pro\"}", err)
	}
	if dec.More() {
		return Desired{}, launchpad.Errorf(launchpad.EINVALID, "apply job payload has data after its JSON object")
	}
	return d, d.Validate()
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{3}$`)
	// A container image reference: registry/path:tag or @sha256:digest; no spaces, quotes,
	// braces or anything else a template language could read.
	imagePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$`)
	reasonPattern = regexp.MustCompile(`^[a-z0-9_]*$`)
)

// ValidateRegion reports whether region is a Fly region code (three lower-case letters).
func ValidateRegion(region string) error {
	if !regionPattern.MatchString(region) {
		return launchpad.Errorf(launchpad.EINVALID, "region %q is not a Fly region code: use three lower-case letters such as iad, ams or syd", launchpad.Clip(region, 40))
	}
	return nil
}

// ValidateImage reports whether image is a container image reference such as
// registry.fly.io/hermes-agent:1.4.2 (at most 512 characters).
func ValidateImage(image string) error {
	if len(image) > 512 || !utf8.ValidString(image) || !imagePattern.MatchString(image) {
		return launchpad.Errorf(launchpad.EINVALID, "image %q is not a container image reference: use lower-case registry/path:tag, e.g. registry.fly.io/hermes-agent:1.4.2", launchpad.Clip(image, 80))
	}
	return nil
}
