package flytoken

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/superfly/macaroon"

	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// Run is `terraform-provider-launchpad fly-token --for ROLE [--app ID] [--expires D]`: it reads
// FLY_API_TOKEN from the environment (never from a flag, which would land in shell history and
// ps), prints what it adds on stderr and the narrowed token alone on stdout's last line. Exit
// codes: 0 printed, 1 the token was refused, 2 bad usage.
func Run(_ context.Context, args []string, stdout, stderr io.Writer) int {
	return run(args, os.Getenv, time.Now, stdout, stderr)
}

func run(args []string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fly-token", flag.ContinueOnError)
	// The flag package quotes a bad value in its error, and a value may be a token pasted in
	// the wrong place: its errors are printed here, scrubbed, instead.
	fs.SetOutput(io.Discard)
	role := fs.String("for", "", "what the token is for: "+roleList())
	app := fs.Uint64("app", 0, "Fly's numeric id of the one app an exec token reaches (internal_numeric_id)")
	expires := fs.Duration("expires", 0, "how long the new token lasts, such as 720h (default: as long as FLY_API_TOKEN)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: FLY_API_TOKEN=… terraform-provider-launchpad fly-token --for ROLE [--app ID] [--expires D]\n\n"+
			"Prints FLY_API_TOKEN narrowed, offline, with Fly's caveats for one role. Roles:\n")
		for _, r := range Roles() {
			fmt.Fprintf(stderr, "  %-16s %s\n", r, Summary(r))
		}
		fmt.Fprintln(stderr)
		fs.SetOutput(stderr) // the defaults hold no value the user typed
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // the flag package has called fs.Usage
		}
		fmt.Fprintf(stderr, "fly-token: %s (run with -h for the flags)\n", scrub(err.Error()))
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fly-token: takes no arguments, got %d: the token is read from FLY_API_TOKEN, never from the command line\n", fs.NArg())
		return 2
	}
	if *role == "" {
		fmt.Fprintf(stderr, "fly-token: say what the token is for with --for (%s)\n", roleList())
		return 2
	}
	if !validRole(Role(*role)) {
		fmt.Fprintf(stderr, "fly-token: %s\n", scrub(fmt.Sprintf("unknown role %q: use --for with one of %s", *role, roleList())))
		return 2
	}
	res, err := Attenuate(getenv(settings.FlyAPIToken), Request{Role: Role(*role), AppID: *app}, *expires, now())
	if err != nil {
		fmt.Fprintf(stderr, "fly-token: %s\n", scrub(err.Error()))
		return 1
	}
	describe(stderr, Role(*role), res, *expires)
	fmt.Fprintln(stdout, res.Header)
	return 0
}

// tokenLike matches what could be part of a token: a long run of base64, hex or prefix
// characters. No word, role, flag or duration this command prints is that long.
var tokenLike = regexp.MustCompile(`[A-Za-z0-9+/=_-]{24,}`)

// scrub removes from a message anything that could be part of a token, so that a token given
// in the wrong place is never echoed.
func scrub(msg string) string { return tokenLike.ReplaceAllString(msg, "[redacted]") }

// describe writes what was added, and what the token can still do, for the operator.
func describe(w io.Writer, r Role, res *Result, expires time.Duration) {
	fmt.Fprintf(w, "fly-token: narrowed the token of Fly organization %d for %s; caveats added:\n", res.Org, r)
	cavs := make([]macaroon.Caveat, len(res.Added))
	for i, c := range res.Added {
		fmt.Fprintf(w, "  - %s\n", c.Says)
		cavs[i] = c.Caveat
	}
	if expires == 0 {
		fmt.Fprintln(w, "  (no --expires: it lasts as long as FLY_API_TOKEN does)")
	}
	fmt.Fprintf(w, "What remains: %s.\n", Remains(r))
	// The JSON form `fly tokens debug` and `fly tokens attenuate -f` use: it holds the caveats
	// only, no key and no signature.
	if b, err := json.Marshal(macaroon.NewCaveatSet(cavs...)); err == nil {
		fmt.Fprintf(w, "As JSON: %s\n", b)
	}
	fmt.Fprintln(w, "Fly checks these caveats when the token is used; Launchpad cannot test them against Fly itself.")
}
