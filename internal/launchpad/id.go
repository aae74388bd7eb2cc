package launchpad

import (
	"crypto/rand"
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns a random identifier of n characters from [a-z0-9] read from crypto/rand
// (n = 20 gives about 103 bits). Lower-case only, so the first eight characters of a user id
// survive the app-name rule unchanged.
func NewID(n int) string {
	b := make([]byte, n)
	// rand.Text-style rejection sampling: 252 is the largest multiple of 36 below 256.
	buf := make([]byte, 2*n)
	i := 0
	for i < n {
		if _, err := rand.Read(buf); err != nil {
			panic("launchpad: crypto/rand failed: " + err.Error())
		}
		for _, c := range buf {
			if c >= 252 {
				continue
			}
			b[i] = idAlphabet[int(c)%len(idAlphabet)]
			i++
			if i == n {
				break
			}
		}
	}
	return string(b)
}
