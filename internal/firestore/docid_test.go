package firestore

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Firestore's rules for a document id.
var reservedID = regexp.MustCompile(`^__.*__$`)

func validDocID(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.Contains(id, "/") &&
		!reservedID.MatchString(id) && len(id) <= 1500 && utf8.ValidString(id)
}

// unsafeKeys are keys that would be invalid, or mean something else, as document ids.
var unsafeKeys = []string{
	"", ".", "..", "../x", "a/b", "/", "//", "__name__", "__x__", "___", ".hidden", "-dash",
	"name@example.com", "a b", "x'; DROP TABLE users; --", "名前-ü-%_\\", "tab\there",
	"\xff\xfe not utf-8", strings.Repeat("k", 257), strings.Repeat("/", 749),
	strings.Repeat("é", 800), strings.Repeat("x", 1501), strings.Repeat("x", 100000),
}

func TestDocIDIsAlwaysValidAndOneToOne(t *testing.T) {
	seen := map[string]string{}
	keys := append([]string{"u1", "lp-hermes-abcdefgh-s1x2", "evt_1NxYz", "a.b_c-d", "k1", strings.Repeat("k", 256)}, unsafeKeys...)
	for _, key := range keys {
		id := docID(key)
		if !validDocID(id) {
			t.Errorf("docID(%q) = %q is not a valid Firestore document id", launchpad.Clip(key, 40), launchpad.Clip(id, 40))
		}
		if strings.ContainsAny(id, ":;") {
			t.Errorf("docID(%q) = %q contains a separator", launchpad.Clip(key, 40), launchpad.Clip(id, 40))
		}
		if other, dup := seen[id]; dup {
			t.Errorf("docID(%q) = docID(%q) = %q", launchpad.Clip(key, 40), launchpad.Clip(other, 40), launchpad.Clip(id, 40))
		}
		seen[id] = key
	}
}

func TestDocIDKeepsPlainKeys(t *testing.T) {
	// Users' documents are launchpad_users/{uid}, named as the host's web app names them: plain
	// ids stay as they are.
	for _, key := range []string{"u1", "Zx9cQ2mKp1aBcDeFgHiJkLmNoPq2", "lp-hermes-abcdefgh-s1x2", "evt_1NxYz", "a.b_c-d"} {
		if got := docID(key); got != key {
			t.Errorf("docID(%q) = %q, want the key itself", key, got)
		}
	}
	for _, key := range unsafeKeys {
		if got := docID(key); got == key {
			t.Errorf("docID(%q) kept an unsafe key as it is", launchpad.Clip(key, 40))
		}
	}
}

func TestCompositeIDIsOneToOne(t *testing.T) {
	tuples := [][]string{
		{"a", "bc"}, {"ab", "c"}, {"a", "b", "c"}, {"", "abc"}, {"abc", ""}, {"1.a", ""}, {"1", "a"},
		{"u1", "fp"}, {"u1fp", ""}, {"u", "1fp"},
	}
	seen := map[string][]string{}
	for _, tu := range tuples {
		id := compositeID(tu...)
		if !validDocID(id) {
			t.Errorf("compositeID(%q) = %q is not a valid document id", tu, id)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("compositeID(%q) = compositeID(%q)", tu, other)
		}
		seen[id] = tu
	}
}

func TestAuditEventIDsOfOneStreamFormOneRange(t *testing.T) {
	// ListAudit reads a stream as the names from "{stream}:" up to "{stream};". No other
	// stream's events may fall in that range, and seqs must sort numerically.
	streams := append([]string{"u1", "u1:", "u10", "u1;", "platform"}, unsafeKeys...)
	for _, a := range streams {
		lo, hi := docID(a)+":", docID(a)+";"
		for _, b := range streams {
			if a == b {
				continue
			}
			if id := auditEventID(b, 7); id >= lo && id < hi {
				t.Errorf("event of stream %q falls in the range of stream %q", launchpad.Clip(b, 30), launchpad.Clip(a, 30))
			}
		}
		if auditEventID(a, 9) >= auditEventID(a, 10) || auditEventID(a, 10) >= auditEventID(a, 1<<40) {
			t.Errorf("seqs of stream %q do not sort numerically", launchpad.Clip(a, 30))
		}
	}
}
