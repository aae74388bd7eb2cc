package envelope_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// fuzzSeeds seals a fixed set of plaintexts under fixed secrets with a fixed nonce stream, so
// every fuzzing process (the coordinator and each worker) holds the same sealed values and
// the same record of what was sealed.
type fuzzSeeds struct {
	keyring *envelope.Keyring // current secretB, previous secretA
	sealed  map[string][]byte // sealed value + "\x00" + user id → plaintext
	values  []string
}

func newFuzzSeeds(t testing.TB) *fuzzSeeds {
	t.Helper()
	nonces := func(seed byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{seed}) }
	current, err := envelope.NewKeyringWithNonces(secretB, secretA, nonces(1))
	if err != nil {
		t.Fatal(err)
	}
	previous, err := envelope.NewKeyringWithNonces(secretA, "", nonces(2))
	if err != nil {
		t.Fatal(err)
	}
	s := &fuzzSeeds{keyring: current, sealed: map[string][]byte{}}
	long := make([]byte, 300)
	_, _ = nonces(3).Read(long)
	for _, pt := range [][]byte{nil, []byte("sk-or-v1-0123456789abcdef"), bytes.Repeat([]byte{'A'}, 64), long} {
		for _, uid := range []string{userID, "u2"} {
			for _, k := range []*envelope.Keyring{current, previous} {
				v, err := k.Seal(pt, uid)
				if err != nil {
					t.Fatal(err)
				}
				s.sealed[v+"\x00"+uid] = pt
				s.values = append(s.values, v)
			}
		}
	}
	return s
}

var headerPattern = regexp.MustCompile(`^v1\.[0-9a-f]{12}\.`)

// FuzzOpen: Open never panics, fails only with a coded sentinel error, and accepts nothing but
// the exact values this test sealed, for their own user, with their own plaintext.
func FuzzOpen(f *testing.F) {
	seeds := newFuzzSeeds(f)
	for _, v := range seeds.values {
		f.Add(v, userID)
		f.Add(v, "u2")
		f.Add(v+"\n", userID)
		f.Add(strings.ToUpper(v), userID)
	}
	for _, v := range []string{"", ".", "..", "v1..", "v1.000000000000.", "v2.0123456789ab.AAAA", "sk-or-v1-abc", "v1.0123456789ab." + strings.Repeat("A", 40)} {
		f.Add(v, userID)
	}
	k := seeds.keyring
	f.Fuzz(func(t *testing.T, sealed, uid string) {
		pt, err := k.Open(sealed, uid)
		_, idErr := envelope.KeyID(sealed)
		if err == nil {
			want, ok := seeds.sealed[sealed+"\x00"+uid]
			if !ok {
				t.Fatalf("Open accepted %q for user %q, which this test never sealed", sealed, uid)
			}
			if !bytes.Equal(pt, want) {
				t.Fatalf("Open of a seed returned another plaintext")
			}
			if idErr != nil || !headerPattern.MatchString(sealed) {
				t.Fatalf("a value that opens has no valid header: KeyID error %v", idErr)
			}
			return
		}
		if got := matchedSentinels(err); len(got) != 1 {
			t.Fatalf("error %q matches sentinels %v, want exactly one", err, got)
		}
		if launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Fatalf("error %q has code %q", err, launchpad.ErrorCode(err))
		}
		if idErr != nil && uid != "" && !errors.Is(err, envelope.ErrMalformed) {
			t.Fatalf("KeyID refused the header (%v) but Open failed with %v", idErr, err)
		}
		if len(sealed) > 12 && strings.Contains(err.Error(), sealed) {
			t.Fatalf("error %q echoes the input", err)
		}
	})
}

// FuzzKeyID: KeyID never panics, accepts exactly the values whose header is v1.<12 hex>.,
// returns the id in it, and agrees with NeedsReseal.
func FuzzKeyID(f *testing.F) {
	seeds := newFuzzSeeds(f)
	for _, v := range seeds.values {
		f.Add(v)
	}
	for _, v := range []string{"", ".", "v1.", "v1.0123456789ab", "v1.0123456789ab.", "v1.0123456789AB.x", "v10.0123456789ab.x", "V1.0123456789ab.x", "v1.0123456789ab..", "v1.\n0123456789a.x"} {
		f.Add(v)
	}
	k := seeds.keyring
	f.Fuzz(func(t *testing.T, sealed string) {
		id, err := envelope.KeyID(sealed)
		valid := headerPattern.MatchString(sealed)
		if (err == nil) != valid {
			t.Fatalf("KeyID(%q) error %v, but the header is valid = %v", sealed, err, valid)
		}
		if err != nil {
			requireOnly(t, err, envelope.ErrMalformed)
			if id != "" {
				t.Fatalf("KeyID returned id %q with an error", id)
			}
			if !k.NeedsReseal(sealed) {
				t.Fatal("NeedsReseal is false for a value without a header")
			}
			return
		}
		if !strings.HasPrefix(sealed, "v1."+id+".") {
			t.Fatalf("KeyID(%q) = %q, not the id in the header", sealed, id)
		}
		if k.NeedsReseal(sealed) != (id != k.CurrentKeyID()) {
			t.Fatalf("NeedsReseal(%q) disagrees with its key id %s (current %s)", sealed, id, k.CurrentKeyID())
		}
	})
}
