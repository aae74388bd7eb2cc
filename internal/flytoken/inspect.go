package flytoken

import (
	"github.com/superfly/macaroon"
	"github.com/superfly/macaroon/bundle"
	"github.com/superfly/macaroon/flyio"
	"github.com/superfly/macaroon/resset"
)

// Powers is what a token's own caveats allow, read offline from the token: a guess at what
// Fly would allow, good enough to warn an operator, never a security decision (the signature
// is not checked, and Fly may refuse for reasons of its own).
type Powers struct {
	// Commands: a command on a machine of an app of the token's organization is allowed.
	Commands bool
	// SSH: the issueCertificate mutation behind `fly ssh console` is allowed.
	SSH bool
}

// Inspect reads the powers of the Fly token header. It fails with ErrNotMacaroon for a token
// that is not one organization's macaroon, whose powers it cannot read.
func Inspect(header string) (Powers, error) {
	bun, err := flyio.ParseBundle(header)
	if err != nil || bun.Any(bundle.IsNonMacaroon) || bun.Count(flyio.IsPermissionToken) != 1 {
		return Powers{}, ErrNotMacaroon
	}
	var cs *macaroon.CaveatSet
	bundle.ForEach(bun.Select(flyio.IsPermissionToken), func(m bundle.Macaroon) { cs = m.UnsafeCaveats() })
	org, err := flyio.OrganizationScope(cs)
	if err != nil {
		return Powers{}, ErrNotMacaroon
	}
	// Third-party and binding caveats are part of verification, not of access: they refuse
	// every access by design, so they are left out of this reading.
	access := macaroon.NewCaveatSet()
	for _, c := range cs.Caveats {
		switch c.(type) {
		case *macaroon.Caveat3P, *macaroon.BindToParentToken:
		default:
			access.Caveats = append(access.Caveats, c)
		}
	}
	app, machine := uint64(1), "probe"
	var p Powers
	// Which action Fly assigns to an exec is Fly's: any one allowed counts.
	for _, a := range []resset.Action{resset.ActionNone, resset.ActionRead, resset.ActionWrite, resset.ActionControl, resset.ActionAll} {
		cmd := &flyio.Access{OrgID: &org, AppID: &app, Machine: &machine, Command: []string{"sh"}, Action: a}
		p.Commands = p.Commands || access.Validate(cmd) == nil
	}
	mutation := "issueCertificate"
	for _, a := range []resset.Action{resset.ActionWrite, resset.ActionCreate, resset.ActionAll} {
		ssh := &flyio.Access{OrgID: &org, Mutation: &mutation, Action: a}
		p.SSH = p.SSH || access.Validate(ssh) == nil
	}
	return p, nil
}
