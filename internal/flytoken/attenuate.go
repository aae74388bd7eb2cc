package flytoken

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/superfly/macaroon"
	"github.com/superfly/macaroon/bundle"
	"github.com/superfly/macaroon/flyio"
)

// clockSkew is how far before now an expiring token starts to be valid, so that a Fly server
// whose clock is a little behind this host's does not refuse a token minted a moment ago.
const clockSkew = time.Minute

// ErrNotMacaroon says the token cannot be attenuated. Its message names what is wrong and what
// to do; no error of this package quotes any part of the token.
var ErrNotMacaroon = errors.New("FLY_API_TOKEN is not a Fly macaroon token (`FlyV1 fm2_…` or `fm2_…`): " +
	"older personal access tokens cannot be narrowed; create an organization token with `fly tokens create org` and set FLY_API_TOKEN to it")

// Result is an attenuated token and what was added to it.
type Result struct {
	// Header is the new token, as FLY_API_TOKEN takes it (`FlyV1 fm2_…,fm2_…`): the
	// permission macaroon with the caveats added, followed by the discharge tokens it came with.
	Header string
	// Org is the organization the token is scoped to.
	Org uint64
	// Added are the caveats added, in order.
	Added []Caveat
}

// Attenuate adds the caveats of r's role, and a validity window of expires from now when
// expires is positive, to the Fly permission macaroon in header. It works offline, as
// `fly tokens attenuate` does: any holder of a macaroon can add caveats, nobody can take one
// away, so the result can never do more than header could. Fly checks the caveats when the
// token is used.
//
// header must hold exactly one permission macaroon for https://api.fly.io/v1 scoped to an
// organization (what `fly tokens create org` and `fly tokens create deploy` print), optionally
// with its discharge tokens; anything else (an older personal token, an OAuth token alongside,
// a token that does not decode) is refused, since the output would carry it unnarrowed.
func Attenuate(header string, r Request, expires time.Duration, now time.Time) (*Result, error) {
	if !validRole(r.Role) {
		return nil, fmt.Errorf("unknown role %q: use --for with one of %s", r.Role, roleList())
	}
	if expires < 0 {
		return nil, fmt.Errorf("--expires %s is negative: give how long the new token lasts, such as 720h", expires)
	}
	if strings.TrimSpace(header) == "" {
		return nil, errors.New("FLY_API_TOKEN is not set: export the Fly organization token to narrow (`fly tokens create org`) in the environment; it is never taken as a flag, which would leave it in shell history and ps")
	}
	bun, err := flyio.ParseBundle(header)
	// The parse error quotes the token it could not parse: it is dropped, never shown.
	if err != nil || bun.Any(bundle.IsNonMacaroon) {
		return nil, ErrNotMacaroon
	}
	switch n := bun.Count(flyio.IsPermissionToken); {
	case n == 0:
		return nil, fmt.Errorf("FLY_API_TOKEN holds no Fly API permission token (only discharge tokens): %w", ErrNotMacaroon)
	case n > 1:
		return nil, fmt.Errorf("FLY_API_TOKEN holds %d permission tokens; narrow one organization's token at a time (the one `fly tokens create org` prints)", n)
	}
	var org uint64
	var orgErr error
	bundle.ForEach(bun.Select(flyio.IsPermissionToken), func(m bundle.Macaroon) {
		org, orgErr = flyio.OrganizationScope(m.UnsafeCaveats())
	})
	if orgErr != nil {
		return nil, errors.New("FLY_API_TOKEN is not scoped to one Fly organization; create an organization token with `fly tokens create org` and narrow that")
	}
	added, err := caveats(r, org)
	if err != nil {
		return nil, err
	}
	if expires > 0 {
		until := now.Add(expires)
		added = append(added, Caveat{
			Caveat: &macaroon.ValidityWindow{NotBefore: now.Add(-clockSkew).Unix(), NotAfter: until.Unix()},
			Says:   "valid until " + until.UTC().Format(time.RFC3339),
		})
	}
	cavs := make([]macaroon.Caveat, len(added))
	for i, c := range added {
		cavs[i] = c.Caveat
	}
	if err := bun.Attenuate(cavs...); err != nil {
		// Attenuate's errors name the token's nonce (its public id), never its secret parts.
		return nil, fmt.Errorf("adding the caveats to the token: %w", err)
	}
	return &Result{Header: bun.Header(), Org: org, Added: added}, nil
}
