package launchpad

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc…"},
		{"héllo wörld", 4, "héll…"}, // two-byte runes are never split
		{"日本語のテキスト", 3, "日本語…"},     // three-byte runes
		{"a\xffb", 5, "a\uFFFDb"},   // invalid bytes become U+FFFD
		{"😀😀😀", 1, "😀…"},            // four-byte runes
		{"anything", 0, "…"},        // nothing kept, the cut still shown
		{"", 3, ""},
	}
	for _, c := range cases {
		got := Clip(c.in, c.n)
		if got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q is not valid UTF-8", c.in, c.n, got)
		}
	}
}

func FuzzClip(f *testing.F) {
	f.Add("héllo", 2)
	f.Add(strings.Repeat("x", 100), 50)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = n % 1000
		got := Clip(s, n)
		if !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q is not valid UTF-8", s, n, got)
		}
		if n >= 0 && utf8.RuneCountInString(got) > n+1 {
			t.Fatalf("Clip(%q, %d) = %q has %d runes", s, n, got, utf8.RuneCountInString(got))
		}
	})
}
