package launchpad

import (
	"strings"
	"unicode/utf8"
)

// Clip shortens s to at most n characters (runes, never splitting one) for an error message,
// a log line or an audit detail, marking a cut with "…", so that hostile or runaway input
// cannot flood what it is quoted in. Bytes that are not UTF-8 become U+FFFD, so a clipped value
// is always valid text.
func Clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if n < 0 {
		n = 0
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return s[:i] + "…"
}
