package openrouter_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// BenchmarkCreateKeyOnSim measures CreateKey (and the DeleteKey that keeps the count
// steady) against the in-process simulator holding a given number of other keys: CreateKey
// lists every key first (to tell orphans from keys that existed before), so its cost grows
// with the number of keys, one page per hundred.
func BenchmarkCreateKeyOnSim(b *testing.B) {
	for _, existing := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) {
			s := simtest.StartOpenRouter(b, sim.OpenRouterOptions{})
			c, err := openrouter.New(openrouter.Config{BaseURL: s.URL, ManagementKey: s.ManagementKey})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for i := range existing {
				if _, err := c.CreateKey(ctx, launchpad.KeySpec{Name: fmt.Sprintf("other-%d", i)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				k, err := c.CreateKey(ctx, launchpad.KeySpec{Name: fmt.Sprintf("bench-%d", i)})
				if err != nil {
					b.Fatal(err)
				}
				if err := c.DeleteKey(ctx, k.Info.Hash); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
