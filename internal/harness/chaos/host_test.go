package main

import (
	"math/rand/v2"
	"net"
	"testing"
)

// TestStablePortDrawsOnceFromTheRunsChoices: a taken port costs the run's seeded source no
// extra draw, so the choices after it (the customers' stories) are the same on a busy machine.
func TestStablePortDrawsOnceFromTheRunsChoices(t *testing.T) {
	free := rand.New(rand.NewPCG(5, 5))
	first, err := stablePort(free)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", first)
	if err != nil {
		t.Skipf("%s was taken before the test could hold it: %v", first, err)
	}
	defer ln.Close()
	busy := rand.New(rand.NewPCG(5, 5))
	second, err := stablePort(busy)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatalf("stablePort chose %s, which the test holds", first)
	}
	if a, b := free.Uint64(), busy.Uint64(); a != b {
		t.Errorf("after a taken port the run's next choice is %d, without one %d: the port's retries drew from the run's source", b, a)
	}
}
