// Package operator is audited operator shell access to a tenant's machine: Exec (and Run)
// write an operator.exec event to the user's audit stream before anything runs, refuse to run
// when that write fails, run the command through the Fly machine exec API, and audit how it
// ended (exit code and output sizes, never the output). HandleExec and Handler serve
// POST /api/admin/tenants/{user_id}/exec; RunExec is the CLI, `terraform-provider-launchpad
// exec USER_ID -- CMD…`, which calls that endpoint.
//
// The user sees every command an operator ran on their machine, with the operator's name and
// the exact arguments, in their audit panel (GET /api/audit) — so commands must not carry
// secrets, and arguments that look like API keys are refused.
package operator
