package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// addError turns an error from internal/ into a diagnostic. Coded errors carry a message a
// user can act on; an uncoded one is shown as "Internal error." (its details could hold
// anything) and the operator is pointed at TF_LOG for more.
func addError(diags *diag.Diagnostics, summary string, err error) {
	diags.AddError(summary, errorDetail(err))
}

// addAttributeError is addError for an error caused by one attribute's value.
func addAttributeError(diags *diag.Diagnostics, p path.Path, summary string, err error) {
	diags.AddAttributeError(p, summary, errorDetail(err))
}

func errorDetail(err error) string {
	msg := launchpad.ErrorMessage(err)
	switch launchpad.ErrorCode(err) {
	case launchpad.EINTERNAL:
		return msg + " Run with TF_LOG=DEBUG for details, and report it if it persists."
	case launchpad.EUNAVAILABLE, launchpad.ERATELIMITED:
		return msg + " This is usually temporary: run the command again."
	case launchpad.EUNAUTHORIZED:
		return msg + " Check the provider's credentials (fly.api_token / FLY_API_TOKEN, " +
			"openrouter.management_key / OPENROUTER_MANAGEMENT_KEY)."
	default:
		return msg
	}
}

// addStepError reports the failed step of a tenant's apply (tenant.Step) on the attribute
// whose value caused it; a failure at Fly has the summary atFly, one of the store inStore.
func addStepError(diags *diag.Diagnostics, step tenant.Step, atFly, inStore string, err error) {
	switch step {
	case tenant.StepBYOK:
		addAttributeError(diags, path.Root("byok_key_wo"), "Storing the BYOK key", err)
	case tenant.StepKey:
		addAttributeError(diags, path.Root("subkey_hash"), "No model key for the tenant", err)
	case tenant.StepClaim:
		addAttributeError(diags, path.Root("product"), "Tenant already exists", err)
	case tenant.StepStore:
		addError(diags, inStore, err)
	default:
		addError(diags, atFly, err)
	}
}
