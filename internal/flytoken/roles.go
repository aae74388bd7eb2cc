package flytoken

import (
	"fmt"
	"slices"
	"strings"

	"github.com/superfly/macaroon"
	"github.com/superfly/macaroon/flyio"
	"github.com/superfly/macaroon/resset"
)

// Role names what an attenuated token is for.
type Role string

// The roles. Each is derived from what the code that will hold the token calls on Fly:
// internal/fly (used by the provider, which serve's apply runs start, and by serve itself for
// metering and teardown checks) calls only the Machines API, never Fly's GraphQL API, and calls
// the exec endpoint only for controlplane/operator's audited exec.
const (
	// RoleServe is for a serve host: the control plane and the applies it runs create and delete
	// tenant apps anywhere in the organization (each tenant is a new app, whose id nobody knows
	// before it exists), so every app, machine, volume, IP and secret access stays allowed. What
	// goes is what opens a shell: command execution on machines, the GraphQL mutations behind
	// `fly ssh console` (SSH certificates, WireGuard peers) and organization features.
	RoleServe Role = "serve"
	// RoleServeWithExec is RoleServe that keeps command execution, for a serve whose audited
	// operator exec (POST /api/admin/tenants/{user_id}/exec) must work: Fly cannot tell that
	// exec from one sent by anybody else who holds the token.
	RoleServeWithExec Role = "serve-with-exec"
	// RolePlan is read-only in the organization: `tofu plan` and refreshes (a CI pipeline that
	// plans, an operator who looks), never a write, create, delete or control.
	RolePlan Role = "plan"
	// RoleExec runs commands on the machines of one app (Fly's numeric app id) and only reads
	// everything else of that app: an operator's break-glass shell on one tenant, outside
	// Launchpad's audit.
	RoleExec Role = "exec"
)

// Roles lists the roles in the order -h shows them.
func Roles() []Role { return []Role{RoleServe, RoleServeWithExec, RolePlan, RoleExec} }

// Request asks for one attenuation.
type Request struct {
	Role Role
	// AppID is Fly's numeric app id (internal_numeric_id); RoleExec needs it, the others refuse it.
	AppID uint64
}

// Caveat is one caveat to add and what it does, in words for the operator.
type Caveat struct {
	Caveat macaroon.Caveat
	Says   string
}

// noCommands refuses every command execution (Fly's exec API, which `fly machine exec` and
// the control plane's operator exec use) and passes every other access to the else branch:
// a Commands caveat with no entry refuses any command, and it is "not relevant" to an access
// that names no command, so IfPresent applies its Else (all actions) instead.
func noCommands() Caveat {
	return Caveat{
		Caveat: &resset.IfPresent{Ifs: macaroon.NewCaveatSet(&flyio.Commands{}), Else: resset.ActionAll},
		Says:   "no command execution on any machine (Fly's exec API: `fly machine exec`, Launchpad's operator exec)",
	}
}

// noMutations refuses every GraphQL mutation the same way. Launchpad calls only the Machines
// API; `fly ssh console` needs the issueCertificate and addWireGuardPeer mutations (see
// flyctl's `fly tokens create ssh`, which grants exactly those two).
func noMutations() Caveat {
	return Caveat{
		Caveat: &resset.IfPresent{Ifs: macaroon.NewCaveatSet(&flyio.Mutations{Mutations: []string{}}), Else: resset.ActionAll},
		Says:   "no GraphQL mutation: no SSH certificate (`fly ssh console`), no WireGuard peer",
	}
}

// noOrgFeatures refuses every organization feature (WireGuard, remote builders, add-ons,
// membership, billing, deletion, …), none of which Launchpad uses: an empty resource set
// names no feature, so any access that names one is refused.
func noOrgFeatures() Caveat {
	return Caveat{
		Caveat: &resset.IfPresent{Ifs: macaroon.NewCaveatSet(&flyio.FeatureSet{Features: resset.ResourceSet[string, resset.Action]{}}), Else: resset.ActionAll},
		Says:   "no organization feature (WireGuard, remote builders, add-ons, membership, billing, deletion)",
	}
}

// caveats returns what r's role adds to a token of organization org.
func caveats(r Request, org uint64) ([]Caveat, error) {
	if r.Role != RoleExec && r.AppID != 0 {
		return nil, fmt.Errorf("--app narrows only --for %s; a %s token must reach every tenant app, since each tenant is a new app", RoleExec, r.Role)
	}
	switch r.Role {
	case RoleServe:
		return []Caveat{noCommands(), noMutations(), noOrgFeatures()}, nil
	case RoleServeWithExec:
		return []Caveat{noMutations(), noOrgFeatures()}, nil
	case RolePlan:
		return []Caveat{
			{Caveat: &flyio.Organization{ID: org, Mask: resset.ActionRead}, Says: fmt.Sprintf("read only, in organization %d", org)},
			noCommands(), noMutations(), noOrgFeatures(),
		}, nil
	case RoleExec:
		if r.AppID == 0 {
			return nil, fmt.Errorf("--for %s needs --app with Fly's numeric id of the tenant's app (its internal_numeric_id: GET https://api.machines.dev/v1/apps/APP_NAME shows it)", RoleExec)
		}
		return []Caveat{
			{Caveat: &flyio.Apps{Apps: resset.New(resset.ActionAll, r.AppID)}, Says: fmt.Sprintf("app %d only: nothing else in the organization", r.AppID)},
			{
				// Shaped like flyctl's `fly tokens create machine-exec`: any command in the
				// if branch, read-only for every access that runs none.
				Caveat: &resset.IfPresent{Ifs: macaroon.NewCaveatSet(&flyio.Commands{flyio.Command{Args: []string{}}}), Else: resset.ActionRead},
				Says:   "any command on that app's machines; everything else of the app read-only",
			},
			noMutations(), noOrgFeatures(),
		}, nil
	}
	return nil, fmt.Errorf("unknown role %q: use --for with one of %s", r.Role, roleList())
}

// Summary says in a line what a token of role r is for.
func Summary(r Role) string {
	switch r {
	case RoleServe:
		return "a serve host and the applies it runs: every tenant app, machine, volume, IP and secret; no command execution, SSH certificate, WireGuard peer or organization feature"
	case RoleServeWithExec:
		return "serve, keeping command execution for the control plane's audited operator exec"
	case RolePlan:
		return "read-only in the organization: tofu plan and refresh (CI), looking around"
	case RoleExec:
		return "commands on the machines of one app (--app, Fly's numeric app id), read-only for the rest of that app"
	}
	return ""
}

// Remains says, for the operator, what a token of role r can still do: the part no caveat of
// Fly's can take away from it.
func Remains(r Role) string {
	switch r {
	case RoleServe:
		return "it can still create, change and delete every app, machine, volume, IP and secret in the organization (every tenant is a new app), " +
			"so whoever holds it can replace a tenant machine's image or command, or attach its volume elsewhere; " +
			"Launchpad's operator exec is refused with it (serve-with-exec keeps it)"
	case RoleServeWithExec:
		return "everything a serve token can do, and any command on any tenant machine through Fly's exec API, which Launchpad's audit log sees only when the control plane sent it"
	case RolePlan:
		return "it reads everything in the organization: apps, machines with their configuration and events, volumes, secret names and digests (never secret values)"
	case RoleExec:
		return "any command on that one app's machines, outside Launchpad's audit log; it shares the id of the token it was cut from, so it cannot be revoked alone: " +
			"cut it from an organization token made for the purpose (`fly tokens create org -x 2h`), give it a short --expires, and revoke that token when done"
	}
	return ""
}

// roleList is the roles as "a, b or c".
func roleList() string {
	names := make([]string, 0, len(Roles()))
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// validRole reports whether r is one of Roles.
func validRole(r Role) bool { return slices.Contains(Roles(), r) }
