package emails

import (
	"fmt"
	"io"
	"strings"
)

// Print writes rep for an operator: counts, then every rewrite, collision and invalid address
// with the user ids and what to do. Addresses are quoted (%q), so none can forge a line.
func Print(w io.Writer, rep *Report, migrated bool) {
	fmt.Fprintf(w, "users read:                %d\n", rep.Users)
	fmt.Fprintf(w, "addresses canonical:       %d\n", rep.Canonical)
	if migrated {
		fmt.Fprintf(w, "addresses rewritten:       %d\n", len(rep.Rewritten))
	}
	fmt.Fprintf(w, "addresses to rewrite:      %d\n", len(rep.Rewrites))
	fmt.Fprintf(w, "collisions:                %d\n", len(rep.Collisions))
	fmt.Fprintf(w, "invalid addresses:         %d\n", len(rep.Invalid))
	for _, rw := range rep.Rewritten {
		fmt.Fprintf(w, "rewritten: user %s: %q -> %q (its sessions were ended)\n", rw.UserID, rw.Email, rw.Canonical)
	}
	for _, rw := range rep.Rewrites {
		fmt.Fprintf(w, "to rewrite: user %s: %q -> %q\n", rw.UserID, rw.Email, rw.Canonical)
	}
	for _, c := range rep.Collisions {
		var who []string
		for _, a := range c.Accounts {
			who = append(who, fmt.Sprintf("user %s (%q)", a.UserID, a.Email))
		}
		fmt.Fprintf(w, "collision: %s are all the address %q; none was changed or merged. "+
			"Sign-in reaches the one whose stored address is exactly %q, if any. Decide which account owns the address, "+
			"clear or change the address of the others in the store, then run `emails -migrate` again.\n",
			strings.Join(who, ", "), c.Canonical, c.Canonical)
	}
	for _, inv := range rep.Invalid {
		fmt.Fprintf(w, "invalid: user %s: %q can no longer sign in by email: %s. "+
			"Ask the user for an address at a domain name and set it in the store, or clear it.\n", inv.UserID, inv.Email, inv.Reason)
	}
	switch {
	case rep.Clean():
		fmt.Fprintln(w, "every stored address is canonical and owned by one account")
	case !migrated && len(rep.Rewrites) > 0:
		fmt.Fprintln(w, "run `terraform-provider-launchpad emails -migrate` to rewrite the addresses above")
	}
}
