package launchpad_test

import (
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func TestNewIDLengthAndAlphabet(t *testing.T) {
	for _, n := range []int{0, 1, 8, 20, 64, 500} {
		id := launchpad.NewID(n)
		if len(id) != n {
			t.Fatalf("NewID(%d) has length %d", n, len(id))
		}
		if i := strings.IndexFunc(id, func(r rune) bool { return !strings.ContainsRune(idAlphabet, r) }); i >= 0 {
			t.Fatalf("NewID(%d) = %q has %q outside [a-z0-9]", n, id, id[i])
		}
	}
}

// 10,000 ids of 20 characters: all distinct, every character of the alphabet about equally
// frequent (a modulo bias, 256 mod 36 = 4, would make four characters 14 % more frequent; the
// ±10 % band is about 7 standard deviations wide, so the test does not flake), and each id
// survives the app-name rule unchanged in its first eight characters.
func TestNewIDUniqueAndUniform(t *testing.T) {
	const count, length = 10000, 20
	seen := make(map[string]bool, count)
	freq := map[rune]int{}
	for i := 0; i < count; i++ {
		id := launchpad.NewID(length)
		if seen[id] {
			t.Fatalf("NewID repeated %q after %d ids", id, i)
		}
		seen[id] = true
		for _, r := range id {
			freq[r]++
		}
		if uid8, err := launchpad.UID8(id); err != nil || uid8 != id[:8] {
			t.Fatalf("UID8(%q) = %q, %v; want its first 8 characters", id, uid8, err)
		}
	}
	expected := float64(count*length) / float64(len(idAlphabet))
	for _, r := range idAlphabet {
		if got := float64(freq[r]); got < 0.9*expected || got > 1.1*expected {
			t.Errorf("character %q appears %v times, expected about %.0f", r, got, expected)
		}
	}
}
