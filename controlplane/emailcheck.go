package controlplane

import (
	"context"
	"log/slog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/emails"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// warnNonCanonicalEmails tells the operator, once at start, when stored addresses predate
// canonical emails. serve keeps serving them — sign-in finds such an account by the address
// as the user types it (launchpad.FindUserByEmail) — but a look-alike stays an account of its
// own, and a collision stays unresolved, until `emails -migrate` runs and the operator
// decides each collision. It reads every user once, so serve runs it beside requests.
func warnNonCanonicalEmails(ctx context.Context, st launchpad.UserStore, log *slog.Logger) {
	rep, err := emails.Scan(ctx, st)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		log.Warn("could not check that stored emails are canonical", "error", err.Error())
	case !rep.Clean():
		log.Warn("some stored emails are not in canonical form: look-alike addresses may still be separate accounts; "+
			"run `terraform-provider-launchpad emails -check`, then `emails -migrate`, and resolve the collisions it names",
			"to_rewrite", len(rep.Rewrites), "collisions", len(rep.Collisions), "invalid", len(rep.Invalid))
	}
}
