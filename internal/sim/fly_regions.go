package sim

import (
	"slices"
	"strconv"
	"strings"
)

// flyRegions are the region codes the simulator accepts, sorted: Fly's regions as its region
// page (fly.io/docs/reference/regions) and `fly platform regions` listed them (35 regions,
// 2024). Fly refuses a volume or machine in a region it does not have; so does the simulator,
// where it used to accept any three-letter code. Refresh it with internal/launchpad's
// FlyRegions (a test compares the two).
var flyRegions = []string{
	"ams", "arn", "atl", "bog", "bom", "bos", "cdg", "den", "dfw", "ewr",
	"eze", "fra", "gdl", "gig", "gru", "hkg", "iad", "jnb", "lax", "lhr",
	"mad", "mia", "nrt", "ord", "otp", "phx", "qro", "scl", "sea", "sin",
	"sjc", "syd", "waw", "yul", "yyz",
}

// validRegion reports whether code is a Fly region.
func validRegion(code string) bool {
	if !regionPattern.MatchString(code) {
		return false
	}
	_, found := slices.BinarySearch(flyRegions, code)
	return found
}

// regionError is the 400 message for a region Fly does not have.
func regionError(code string) string {
	return "invalid region " + strconv.Quote(code) + ": not a Fly region; use one of " + strings.Join(flyRegions, ", ")
}
