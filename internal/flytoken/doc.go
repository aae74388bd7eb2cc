// Package flytoken narrows a Fly.io API token for one of Launchpad's roles:
// `terraform-provider-launchpad fly-token`.
//
// Fly API tokens are macaroons: whoever holds one can add caveats to it offline, and a caveat
// can only take power away. Anyone holding the organization-wide FLY_API_TOKEN can open a shell
// on any tenant with Fly's own tools (`fly ssh console`, `fly machine exec`), and no Launchpad
// audit sees it. Attenuate takes that away where Fly's caveats allow it and Launchpad's own
// calls do not need it: a serve host gets a token that still creates and deletes tenant apps
// (each tenant is a new app, so no app list can be given in advance) but cannot run a command
// on a machine, issue an SSH certificate or add a WireGuard peer.
//
// What it does not do: Fly evaluates the caveats on its servers, and how Fly classifies each
// API call (which action, which resource) is Fly's; the tests check the caveats with the
// macaroon library's own evaluation, not against Fly. A token that may update machines can
// still change what they run, so "no exec" narrows the shell, not the power.
package flytoken
