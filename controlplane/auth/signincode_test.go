package auth

import "testing"

func TestSignInCodesAreUniform(t *testing.T) {
	var digits [6][10]int
	const n = 20000
	for range n {
		c := newSignInCode()
		if len(c) != 6 {
			t.Fatalf("code %q", c)
		}
		for i, d := range c {
			digits[i][d-'0']++
		}
	}
	// Each digit position should be close to n/10 per value; 4.5 standard deviations of slack.
	for i := range digits {
		for d, got := range digits[i] {
			if got < 1800 || got > 2200 {
				t.Errorf("position %d digit %d seen %d times out of %d", i, d, got, n)
			}
		}
	}
}
