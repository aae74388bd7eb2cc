// Package operator is audited operator shell access to a tenant's machine: Run writes an
// operator.exec event to the user's audit stream before anything runs, refuses to run when
// that write fails, runs the command through the Fly machine exec API, and audits how it
// ended (exit code and output sizes, never the output). HandleExec serves
// POST /api/admin/tenants/{user_id}/exec inside the control plane; RunExec is the CLI,
// `terraform-provider-launchpad exec USER_ID -- CMD…`, which calls that endpoint.
//
// The user sees every command an operator ran on their machine, with the operator's name and
// the exact arguments, in their audit panel (GET /api/audit) — so commands must not carry
// secrets, and arguments that look like API keys are refused.
package operator
