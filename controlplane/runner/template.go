package runner

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// workspaceTemplate is the per-tenant configuration; Render fills it in.
//
//go:embed template/main.tf.json
var workspaceTemplate []byte

// The template's shape. Decoding the embedded file into these types with unknown fields
// refused keeps the file and the code in step (a test renders every case).
type (
	workspaceDoc struct {
		Comment   string          `json:"//,omitempty"`
		Terraform json.RawMessage `json:"terraform"`
		Provider  json.RawMessage `json:"provider"`
		Resource  *workspaceRes   `json:"resource,omitempty"`
	}
	workspaceRes struct {
		SubKey map[string]*subKeyBlock `json:"launchpad_subkey"`
		Tenant map[string]*tenantBlock `json:"launchpad_tenant"`
	}
	subKeyBlock struct {
		UserID             string `json:"user_id"`
		Plan               string `json:"plan"`
		RotationGeneration int64  `json:"rotation_generation"`
	}
	tenantBlock struct {
		UserID            string `json:"user_id"`
		Product           string `json:"product"`
		Region            string `json:"region"`
		Plan              string `json:"plan"`
		Image             string `json:"image"`
		RebuildGeneration int64  `json:"rebuild_generation"`
		ResetGeneration   int64  `json:"reset_generation"`
		RetentionDays     int64  `json:"workspace_retention_days"`
		SubKeyHash        string `json:"subkey_hash"`
	}
)

// Render returns main.tf.json for d: a launchpad_subkey and a launchpad_tenant of d.UserID on
// d.Plan, at d's key rotation, rebuild and reset generations and workspace retention, or, for a destroy, a configuration with the provider and no resources (so tofu
// destroys what the state holds). d must be complete: product, region and image set (see
// Defaults.Apply). The document is built with encoding/json, and every value is also escaped
// for the JSON syntax's string templates, so no value can add HCL, JSON or an interpolation.
func Render(d launchpad.ApplyRequest) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	var doc workspaceDoc
	dec := json.NewDecoder(bytes.NewReader(workspaceTemplate))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("runner: the embedded workspace template does not match its types: %w", err)
	}
	if d.Destroy {
		doc.Resource = nil
	} else {
		if d.Product == "" || d.Region == "" || d.Image == "" {
			return nil, launchpad.Errorf(launchpad.EINVALID, "the tenant of user %s needs a product, region and image; set LAUNCHPAD_PRODUCT, LAUNCHPAD_REGION and LAUNCHPAD_IMAGE (or the checkout metadata)", d.UserID)
		}
		sk, tn := doc.Resource.SubKey["this"], doc.Resource.Tenant["this"]
		if sk == nil || tn == nil {
			return nil, fmt.Errorf("runner: the embedded workspace template lacks launchpad_subkey.this or launchpad_tenant.this")
		}
		sk.UserID, sk.Plan, sk.RotationGeneration = Literal(d.UserID), Literal(d.Plan), d.KeyRotation
		tn.UserID, tn.Product, tn.Region, tn.Plan, tn.Image = Literal(d.UserID), Literal(d.Product), Literal(d.Region), Literal(d.Plan), Literal(d.Image)
		tn.RebuildGeneration, tn.ResetGeneration, tn.RetentionDays = d.Rebuild, d.Reset, d.WorkspaceRetentionDays
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Literal escapes s for a string value of the Terraform/OpenTofu JSON syntax, where "${" and
// "%{" start template sequences: they become "$${" and "%%{", which read back as s. Quotes,
// backslashes and control characters are encoding/json's job.
func Literal(s string) string {
	return literalEscaper.Replace(s)
}

var literalEscaper = strings.NewReplacer("${", "$${", "%{", "%%{")
