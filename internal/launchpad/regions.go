package launchpad

import "slices"

// FlyRegions are the codes of Fly.io's regions, sorted: the regions Fly's region page
// (fly.io/docs/reference/regions) and `fly platform regions` listed when this list was last
// refreshed (35 regions, 2024). ValidateRegion accepts these and nothing else, so a typo such
// as "zzz" fails when Terraform validates the configuration, not half-way through an apply.
//
// The list is shipped rather than fetched: a plan must not depend on reaching Fly to decide
// whether "iad" is a region, and the set changes a few times a year. To refresh it, run
// `fly platform regions --json` (or read the region page), replace the codes below, keep them
// sorted, and do the same in internal/sim (flyRegions), whose test compares the two lists. A
// region Fly has retired since still passes this check, and then fails at apply with Fly's own
// error; a region Fly has added since is refused until the list is refreshed.
var FlyRegions = []string{
	"ams", "arn", "atl", "bog", "bom", "bos", "cdg", "den", "dfw", "ewr",
	"eze", "fra", "gdl", "gig", "gru", "hkg", "iad", "jnb", "lax", "lhr",
	"mad", "mia", "nrt", "ord", "otp", "phx", "qro", "scl", "sea", "sin",
	"sjc", "syd", "waw", "yul", "yyz",
}

// IsFlyRegion reports whether code is one of FlyRegions.
func IsFlyRegion(code string) bool {
	_, found := slices.BinarySearch(FlyRegions, code)
	return found
}
