package emails

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// Run is `terraform-provider-launchpad emails -check | -migrate`, on the store LAUNCHPAD_STORE
// (or -store) names. -check reports what -migrate would do and changes nothing; -migrate
// rewrites stored addresses to their canonical form. Both name every collision and invalid
// address with the user ids involved and what to do.
//
// Exit codes: 0 when every stored address is canonical and owned by one account; 1 when
// something is left (-check: anything to rewrite; both: collisions or invalid addresses) or the
// store failed; 2 for a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, os.Getenv, time.Now, stdout, stderr)
}

func run(ctx context.Context, args []string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emails", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "report the addresses to rewrite, the collisions and the invalid addresses; change nothing")
	migrate := fs.Bool("migrate", false, "rewrite stored addresses to their canonical form; report collisions and invalid addresses without changing them")
	storeURL := fs.String("store", "", "store URL (env LAUNCHPAD_STORE): sqlite:///abs/path.db, firestore://PROJECT_ID or a PostgreSQL URL (default "+store.DefaultPath+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: terraform-provider-launchpad emails -check | -migrate [-store URL]\n\n"+
			"Accounts are keyed by their canonical address (NFKC, case-folded, the domain in IDNA ASCII form).\n"+
			"-migrate rewrites addresses stored before that to their canonical form, signing those accounts\n"+
			"out; accounts whose addresses turn into one address are reported, never merged. Safe to run again.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *check == *migrate || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "terraform-provider-launchpad emails: give exactly one of -check or -migrate (and no other arguments)")
		return 2
	}
	if *storeURL == "" {
		*storeURL = getenv("LAUNCHPAD_STORE")
	}
	st, err := store.Open(ctx, *storeURL)
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad emails: cannot open the store (LAUNCHPAD_STORE): %v\n", err)
		return 1
	}
	defer st.Close()

	var rep *Report
	if *migrate {
		rep, err = Migrate(ctx, st, now)
	} else {
		rep, err = Scan(ctx, st)
	}
	if rep != nil {
		Print(stdout, rep, *migrate)
	}
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad emails: %v\n", err) // store errors carry no secret
		return 1
	}
	if !rep.Clean() {
		return 1
	}
	return 0
}
