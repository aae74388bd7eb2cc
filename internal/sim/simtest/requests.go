package simtest

import (
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// Matching returns the recorded requests that are target, oldest first: "METHOD /path"
// matches that path whatever its query, "METHOD /path?query" that exact query only.
//
//	creates := simtest.Matching(s.Sim.Requests(), "POST /v1/apps/lp-a/volumes")
func Matching(reqs []sim.RecordedRequest, target string) []sim.RecordedRequest {
	withQuery := strings.Contains(target, "?")
	var out []sim.RecordedRequest
	for _, r := range reqs {
		got := r.Method + " " + r.Path
		if withQuery {
			got = r.Target()
		}
		if got == target {
			out = append(out, r)
		}
	}
	return out
}
