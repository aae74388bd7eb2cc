package launchpad_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// requireInvalid fails unless err is an EINVALID launchpad error whose message contains every
// one of want.
func requireInvalid(t testing.TB, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("got no error, want an EINVALID error")
	}
	if code := launchpad.ErrorCode(err); code != launchpad.EINVALID {
		t.Fatalf("error %q has code %q, want %q", err, code, launchpad.EINVALID)
	}
	msg := launchpad.ErrorMessage(err)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Fatalf("message %q does not contain %q", msg, w)
		}
	}
}

func TestUID8(t *testing.T) {
	for _, tc := range []struct{ userID, want string }{
		{"u7k2p9x4m1q8r5t3w6y0", "u7k2p9x4"},
		{"U7K2P9X4M1Q8", "u7k2p9x4"},         // lower-cased
		{"U7-K2_p9.X4m1q8", "u7k2p9"},        // first 8 characters, then reduced to [a-z0-9]
		{"ab", "ab"},                         // shorter ids are kept whole
		{"a", "a"},                           // one character is enough
		{"ÄBCDEFGHIJ", "bcdefgh"},            // characters, not bytes, are counted
		{"--------abc", ""},                  // nothing left in the first 8
		{"", ""},                             // empty
		{"日本語のユーザーID", ""},                   // nothing of [a-z0-9] in the first 8
		{"user@example.com", "userexa"},      // an email-shaped id: "user@exa" reduced
		{"12345678901234567890", "12345678"}, // digits only
		{"A1B2C3D4E5", "a1b2c3d4"},           // mixed case
		{"___x", "x"},                        // one survivor
		{"Zz-9", "zz9"},                      // dash dropped
		{"\u212Aelvin", "kelvin"},            // U+212A KELVIN SIGN lower-cases to ASCII k
		{"abc\x00def", "abcdef"},             // control characters dropped
		{"ab cd ef gh", "abcdef"},            // spaces count towards the 8 and are dropped
		{"ABCDEFGH", "abcdefgh"},             // exactly 8
		{"abcdefgh" + strings.Repeat("z", 100), "abcdefgh"},
	} {
		t.Run(tc.userID, func(t *testing.T) {
			got, err := launchpad.UID8(tc.userID)
			if tc.want == "" {
				requireInvalid(t, err, launchpad.AppNameRule)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("UID8(%q) = %q, %v; want %q", tc.userID, got, err, tc.want)
			}
		})
	}
}

func TestAppName(t *testing.T) {
	created := time.Unix(1700000000, 0) // base 36: s44we8
	for _, tc := range []struct {
		name, product, userID string
		created               time.Time
		want                  string
		wantErr               []string // substrings of the error message
	}{
		{"typical", "hermes", "u7k2p9x4m1q8r5t3w6y0", created, "lp-hermes-u7k2p9x4-s44we8", nil},
		{"user id reduced", "openclaw", "U7-K2_p9.X4m1q8", created, "lp-openclaw-u7k2p9-s44we8", nil},
		{"short user id", "hermes", "ab", created, "lp-hermes-ab-s44we8", nil},
		{"time zone does not matter", "hermes", "ab", created.In(time.FixedZone("x", 5*3600)), "lp-hermes-ab-s44we8", nil},
		{"sub-second part dropped", "hermes", "ab", created.Add(999 * time.Millisecond), "lp-hermes-ab-s44we8", nil},
		{"first second after the epoch", "h", "a", time.Unix(1, 0), "lp-h-a-1", nil},
		{"base 36 carries", "h", "a", time.Unix(36, 0), "lp-h-a-10", nil},
		{"longest parts", strings.Repeat("p", 20), "ABCDEFGHIJ", time.Unix(253402300799, 0), "lp-pppppppppppppppppppp-abcdefgh-38et6qnz", nil},
		{"product upper-case", "Hermes", "ab", created, "", []string{"product", "Hermes"}},
		{"product leading digit", "1hermes", "ab", created, "", []string{"product"}},
		{"product with dash", "her-mes", "ab", created, "", []string{"product"}},
		{"product with underscore", "her_mes", "ab", created, "", []string{"product"}},
		{"product empty", "", "ab", created, "", []string{"product"}},
		{"product 21 characters", strings.Repeat("p", 21), "ab", created, "", []string{"product", "1-20"}},
		{"user id without letters or digits", "hermes", "--------abc", created, "", []string{"user id", launchpad.AppNameRule}},
		{"empty user id", "hermes", "", created, "", []string{"user id", launchpad.AppNameRule}},
		{"epoch", "hermes", "ab", time.Unix(0, 0), "", []string{"1970"}},
		{"before the epoch", "hermes", "ab", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), "", []string{"1969-07-20", "1970"}},
		{"zero time", "hermes", "ab", time.Time{}, "", []string{"1970"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := launchpad.AppName(tc.product, tc.userID, tc.created)
			if tc.wantErr != nil {
				requireInvalid(t, err, tc.wantErr...)
				if got != "" {
					t.Fatalf("AppName returned %q with an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("AppName = %q, %v; want %q", got, err, tc.want)
			}
			if len(got) > launchpad.MaxAppNameLength {
				t.Fatalf("%q is longer than %d", got, launchpad.MaxAppNameLength)
			}
			// Every name AppName makes parses back to its parts.
			parts, err := launchpad.ParseAppName(got)
			if err != nil {
				t.Fatalf("ParseAppName(%q): %v", got, err)
			}
			uid8, _ := launchpad.UID8(tc.userID)
			want := launchpad.AppNameParts{Product: tc.product, UID8: uid8, Created: time.Unix(tc.created.Unix(), 0).UTC()}
			if parts != want {
				t.Fatalf("ParseAppName(%q) = %+v, want %+v", got, parts, want)
			}
		})
	}
}

func TestParseAppName(t *testing.T) {
	for _, tc := range []struct {
		name, appName string
		want          launchpad.AppNameParts
	}{
		{"typical", "lp-hermes-u7k2p9x4-s44we8", launchpad.AppNameParts{"hermes", "u7k2p9x4", time.Unix(1700000000, 0).UTC()}},
		{"one-character parts", "lp-h-a-1", launchpad.AppNameParts{"h", "a", time.Unix(1, 0).UTC()}},
		{"digits in product", "lp-gpt4o-0123abcd-10", launchpad.AppNameParts{"gpt4o", "0123abcd", time.Unix(36, 0).UTC()}},
		{"largest timestamp", "lp-h-a-1y2p0ij32e8e7", launchpad.AppNameParts{"h", "a", time.Unix(1<<63-1, 0).UTC()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := launchpad.ParseAppName(tc.appName)
			if err != nil || got != tc.want {
				t.Fatalf("ParseAppName(%q) = %+v, %v; want %+v", tc.appName, got, err, tc.want)
			}
			if err := launchpad.ValidateAppName(tc.appName); err != nil {
				t.Fatalf("ValidateAppName(%q): %v", tc.appName, err)
			}
		})
	}
}

// Names that break the rule are refused by ValidateAppName and ParseAppName alike, with a
// message that quotes the rule.
func TestAppNameRejections(t *testing.T) {
	for _, tc := range []struct {
		name, appName string
		wantMsg       string // besides the rule
	}{
		{"empty", "", "empty"},
		{"uppercase", "lp-Hermes-abc-s44we8", "DNS label"},
		{"uppercase ts", "lp-hermes-abc-S44WE8", "DNS label"},
		{"underscore", "lp-her_mes-abc-s44we8", "DNS label"},
		{"leading digit", "1p-hermes-abc-s44we8", "DNS label"},
		{"leading dash", "-lp-hermes-abc-s44we8", "DNS label"},
		{"trailing dash", "lp-hermes-abc-s44we8-", "DNS label"},
		{"dot", "lp-hermes.abc-s44we8", "DNS label"},
		{"space", "lp-hermes-abc-s44we8 ", "DNS label"},
		{"non-ASCII", "lp-hérmes-abc-s44we8", "DNS label"},
		{"64 characters", "lp-" + strings.Repeat("a", 61), "at most 63"},
		{"very long", strings.Repeat("lp-hermes-abc-1", 100), "at most 63"},
		{"empty uid8", "lp-hermes--s44we8", "tenant rule"},
		{"uid8 of 9 characters", "lp-hermes-abcdefghi-s44we8", "tenant rule"},
		{"no uid8 segment", "lp-hermes-s44we8", "tenant rule"},
		{"product leading digit", "lp-1hermes-abc-s44we8", "tenant rule"},
		{"product 21 characters", "lp-" + strings.Repeat("p", 21) + "-abc-s44we8", "tenant rule"},
		{"empty product", "lp--abc-s44we8", "tenant rule"},
		{"wrong prefix", "xp-hermes-abc-s44we8", "tenant rule"},
		{"no prefix", "hermes-abc-s44we8", "tenant rule"},
		{"extra segment", "lp-hermes-abc-s44we8-x", "tenant rule"},
		{"ts of 14 characters", "lp-h-a-" + strings.Repeat("1", 14), "tenant rule"},
		{"ts zero", "lp-hermes-abc-0", "base-36 timestamp"},
		{"ts beyond int64", "lp-hermes-abc-zzzzzzzzzzzzz", "base-36 timestamp"},
		// AppName never writes a leading zero, so such a name would not round-trip; whether the
		// shape check or the timestamp check refuses it is the implementation's choice.
		{"ts with leading zero", "lp-hermes-abc-0s44we8", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := launchpad.ParseAppName(tc.appName)
			requireInvalid(t, err, launchpad.AppNameRule, tc.wantMsg)
			if parts != (launchpad.AppNameParts{}) {
				t.Fatalf("ParseAppName returned parts %+v with an error", parts)
			}
			// ValidateAppName checks the shape; the timestamp value is ParseAppName's alone.
			if tc.wantMsg != "" && !strings.Contains(tc.wantMsg, "timestamp") {
				requireInvalid(t, launchpad.ValidateAppName(tc.appName), launchpad.AppNameRule, tc.wantMsg)
			}
		})
	}
}

// FuzzParseAppName: ParseAppName never panics; whatever it accepts also passes ValidateAppName
// and is exactly the name AppName builds from the parts; whatever it refuses is EINVALID with
// the rule in the message.
func FuzzParseAppName(f *testing.F) {
	for _, s := range []string{
		"lp-hermes-u7k2p9x4-s44we8", "lp-h-a-1", "lp-h-a-1y2p0ij32e8e7", "lp-h-a-1y2p0ij32e8e8",
		"", "lp-", "lp---", "lp-hermes--s44we8", "LP-HERMES-ABC-1", "lp-hermes-abc-1-", "lp-hérmes-abc-1",
		"lp-" + strings.Repeat("a", 61),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		parts, err := launchpad.ParseAppName(name)
		if err != nil {
			requireInvalid(t, err, launchpad.AppNameRule)
			return
		}
		if err := launchpad.ValidateAppName(name); err != nil {
			t.Fatalf("ParseAppName accepted %q but ValidateAppName refuses it: %v", name, err)
		}
		if uid8, err := launchpad.UID8(parts.UID8); err != nil || uid8 != parts.UID8 {
			t.Fatalf("uid8 %q of %q is not its own UID8 (%q, %v)", parts.UID8, name, uid8, err)
		}
		again, err := launchpad.AppName(parts.Product, parts.UID8, parts.Created)
		if err != nil || again != name {
			t.Fatalf("ParseAppName(%q) = %+v, but AppName of those parts is %q, %v", name, parts, again, err)
		}
	})
}

// FuzzAppName is the app-name rule from the making side: whatever product, user id and time
// it is given, AppName either refuses them (EINVALID) or returns a name that is a valid Fly
// app name and DNS label (ValidateAppName), at most 63 bytes, that parses back to the same
// product, the user's uid8 and the time. No user id — path separators, SQL, unicode — can
// leave a name that escapes the rule.
func FuzzAppName(f *testing.F) {
	for _, s := range []struct {
		product, user string
		unix          int64
	}{
		{"hermes", "u7k2p9x4abcdefgh", 1_750_000_000}, {"openclaw", "AB-cd_EF.gh", 1},
		{"hermes", "../../etc/passwd", 1_750_000_000}, {"hermes", "x' OR '1'='1", 1_750_000_000},
		{"hermes", "users/victim", 1_750_000_000}, {"hermes", "ａｄｍｉｎ", 1_750_000_000},
		{"h", strings.Repeat("a", 300), 1 << 40}, {"", "", 0}, {"HERMES", "u1", -5}, {"her mes", "u1", 5},
	} {
		f.Add(s.product, s.user, s.unix)
	}
	f.Fuzz(func(t *testing.T, product, userID string, unix int64) {
		created := time.Unix(unix, 0)
		name, err := launchpad.AppName(product, userID, created)
		if err != nil {
			if launchpad.ErrorCode(err) != launchpad.EINVALID || launchpad.ErrorMessage(err) == "" {
				t.Fatalf("AppName(%q, %q, %d) failed without a clear EINVALID error: %v", product, userID, unix, err)
			}
			return
		}
		if err := launchpad.ValidateAppName(name); err != nil || len(name) > 63 {
			t.Fatalf("AppName(%q, %q, %d) = %q, which the rule refuses (%v) or is over 63 bytes", product, userID, unix, name, err)
		}
		parts, err := launchpad.ParseAppName(name)
		if err != nil {
			t.Fatalf("AppName made %q, which does not parse: %v", name, err)
		}
		uid8, err := launchpad.UID8(userID)
		if err != nil || parts.Product != product || parts.UID8 != uid8 || !parts.Created.Equal(time.Unix(unix, 0)) {
			t.Fatalf("AppName(%q, %q, %d) = %q parses to %+v (uid8 %q, %v)", product, userID, unix, name, parts, uid8, err)
		}
	})
}
