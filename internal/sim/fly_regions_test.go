package sim

import (
	"slices"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The simulator's regions are written down separately from the provider's (the simulator
// shares no code with the clients it tests), but they must be the same list: the provider
// refuses at plan time exactly what Fly, and so the simulator, refuses at apply time.
func TestFlyRegionsMatchTheProvidersList(t *testing.T) {
	if !slices.IsSorted(flyRegions) {
		t.Errorf("flyRegions must be sorted (validRegion searches it)")
	}
	if !slices.Equal(flyRegions, launchpad.FlyRegions) {
		t.Errorf("internal/sim flyRegions %v\ndiffer from launchpad.FlyRegions %v: refresh both together", flyRegions, launchpad.FlyRegions)
	}
	for _, c := range []struct {
		code string
		ok   bool
	}{{"iad", true}, {"syd", true}, {"zzz", false}, {"IAD", false}, {"", false}} {
		if validRegion(c.code) != c.ok {
			t.Errorf("validRegion(%q) = %t, want %t", c.code, !c.ok, c.ok)
		}
	}
}
