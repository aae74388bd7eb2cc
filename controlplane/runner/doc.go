// Package runner applies a tenant's desired state with a real `tofu apply` of this very
// provider. For each launchpad.JobApply job it renders the tenant's workspace (main.tf.json,
// from the embedded template, with encoding/json), restores the tenant's Terraform state from
// the store into DataDir/workspaces/<user id>, writes a CLI config whose dev_overrides point
// the launchpad provider at this binary (so no registry and no `init` are involved), and runs
// `plan -out`, `show -json` (for the summary) and `apply` of that plan through
// github.com/hashicorp/terraform-exec. The state goes back to the store after every run,
// failed and cancelled ones included; tofu's output streams into the job log; apply.started,
// apply.finished and apply.failed go to the tenant's audit stream.
//
// The provider is configured entirely from the tofu process's environment (Config.ProviderEnv:
// LAUNCHPAD_STORE, PLATFORM_SECRET, FLY_*, OPENROUTER_*). Those values are never logged and
// are redacted from tofu's output, the job log and error messages.
package runner
