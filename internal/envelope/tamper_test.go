package envelope_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
)

// Every single-bit change of the sealed string is rejected. Flips in the header give
// ErrMalformed or ErrUnknownKeyID; flips in the payload give ErrMalformed (not base64url any
// more) or ErrDecrypt.
func TestEveryBitFlipOfTheStringIsRejected(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	sealed := mustSeal(t, k, randomBytes(t, 64), userID)
	counts := map[error]int{}
	for i := 0; i < len(sealed); i++ {
		for bit := 0; bit < 8; bit++ {
			b := []byte(sealed)
			b[i] ^= 1 << bit
			pt, err := k.Open(string(b), userID)
			if err == nil {
				t.Fatalf("flipping bit %d of byte %d opened (%d bytes)", bit, i, len(pt))
			}
			got := matchedSentinels(err)
			if len(got) != 1 {
				t.Fatalf("flip of bit %d of byte %d: error %q matches %v", bit, i, err, got)
			}
			counts[got[0]]++
		}
	}
	t.Logf("%d flips: %d malformed, %d unknown key id, %d decrypt", 8*len(sealed),
		counts[envelope.ErrMalformed], counts[envelope.ErrUnknownKeyID], counts[envelope.ErrDecrypt])
	if counts[envelope.ErrDecrypt] == 0 || counts[envelope.ErrMalformed] == 0 || counts[envelope.ErrUnknownKeyID] == 0 {
		t.Fatalf("expected flips of every kind to be caught, got %v", counts)
	}
}

// Every single-bit change of nonce, ciphertext or tag, re-encoded canonically (so that only
// the authentication can catch it), fails with ErrDecrypt.
func TestEveryBitFlipOfThePayloadFailsAuthentication(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	for _, size := range []int{0, 1, 64} {
		sealed := mustSeal(t, k, randomBytes(t, size), userID)
		header, raw := split(t, sealed)
		for i := range raw {
			for bit := 0; bit < 8; bit++ {
				tampered := bytes.Clone(raw)
				tampered[i] ^= 1 << bit
				_, err := k.Open(join(header, tampered), userID)
				requireOnly(t, err, envelope.ErrDecrypt)
			}
		}
	}
}

// Editing the authenticated header (to a key id the keyring holds) fails: the version and key
// id are part of the additional data, and the other key does not open it either.
func TestEditedHeaderOrWrongKeyFails(t *testing.T) {
	rotated := mustKeyring(t, secretB, secretA)
	old := mustKeyring(t, secretA, "")
	sealedNew := mustSeal(t, rotated, []byte("new"), userID)
	sealedOld := mustSeal(t, old, []byte("old"), userID)
	_, rawNew := split(t, sealedNew)
	_, rawOld := split(t, sealedOld)

	// A value sealed under the current key, relabelled as the previous key, and the reverse.
	_, err := rotated.Open(join("v1."+old.CurrentKeyID()+".", rawNew), userID)
	requireOnly(t, err, envelope.ErrDecrypt)
	_, err = rotated.Open(join("v1."+rotated.CurrentKeyID()+".", rawOld), userID)
	requireOnly(t, err, envelope.ErrDecrypt)

	// The same payload under a third secret's id (a keyring holding that secret): wrong key.
	third := mustKeyring(t, secretC, "")
	_, err = third.Open(join("v1."+third.CurrentKeyID()+".", rawNew), userID)
	requireOnly(t, err, envelope.ErrDecrypt)
}

func TestUnknownKeyID(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	other := mustKeyring(t, secretB, secretC)
	sealed := mustSeal(t, k, []byte("x"), userID)

	_, err := other.Open(sealed, userID)
	requireOnly(t, err, envelope.ErrUnknownKeyID)

	_, raw := split(t, sealed)
	_, err = k.Open(join("v1.000000000000.", raw), userID)
	requireOnly(t, err, envelope.ErrUnknownKeyID)
}

func TestTruncationAtEveryLengthIsRejected(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	for _, size := range []int{0, 64} {
		sealed := mustSeal(t, k, randomBytes(t, size), userID)
		for n := 0; n < len(sealed); n++ {
			_, err := k.Open(sealed[:n], userID)
			if err == nil {
				t.Fatalf("%d-byte value truncated to %d bytes opened", len(sealed), n)
			}
			if got := matchedSentinels(err); len(got) != 1 || (got[0] != envelope.ErrMalformed && got[0] != envelope.ErrDecrypt) {
				t.Fatalf("truncated to %d: error %q matches %v, want ErrMalformed or ErrDecrypt", n, err, got)
			}
		}
		// Cutting bytes from the front of the payload or adding bytes is caught as well.
		header, raw := split(t, sealed)
		for n := 1; n < len(raw); n++ {
			_, err := k.Open(join(header, raw[n:]), userID)
			if err == nil {
				t.Fatalf("payload without its first %d bytes opened", n)
			}
		}
		for _, extra := range []string{"A", "AA", "AAAA", "."} {
			if _, err := k.Open(sealed+extra, userID); err == nil {
				t.Fatalf("value with %q appended opened", extra)
			}
		}
	}
}

// A sealed value that went through another encoding (a different base64 alphabet, padding,
// line wrapping, case folding, whitespace) is refused with ErrMalformed before any
// decryption: only the exact string Seal produced opens.
func TestReencodedValuesAreRejected(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	plaintext := randomBytes(t, 64) // 92 payload bytes: 123 base64 characters, 2 spare bits
	var sealed string
	for i := 0; i < 200 && (!strings.Contains(sealed, "-") || !strings.Contains(sealed, "_")); i++ {
		sealed = mustSeal(t, k, plaintext, userID)
	}
	if !strings.Contains(sealed, "-") || !strings.Contains(sealed, "_") {
		t.Fatal("could not get a payload holding both '-' and '_' in 200 seals")
	}
	header, raw := split(t, sealed)
	payload := sealed[len(header):]

	// The last character carries 4 payload bits and 2 spare bits; flipping a spare bit gives a
	// string a lenient decoder reads as the same bytes.
	last := payload[len(payload)-1]
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	spare := alphabet[strings.IndexByte(alphabet, last)^1]
	nonCanonical := payload[:len(payload)-1] + string(spare)
	if lenient, err := base64.RawURLEncoding.DecodeString(nonCanonical); err != nil || !bytes.Equal(lenient, raw) {
		t.Fatalf("test premise: the spare-bit variant should decode leniently to the same bytes (%v)", err)
	}

	for _, tc := range []struct {
		name, value string
		want        error
	}{
		{"standard alphabet", header + base64.RawStdEncoding.EncodeToString(raw), envelope.ErrMalformed},
		{"padded base64url", header + base64.URLEncoding.EncodeToString(raw), envelope.ErrMalformed},
		{"padded standard", header + base64.StdEncoding.EncodeToString(raw), envelope.ErrMalformed},
		{"extra padding", sealed + "==", envelope.ErrMalformed},
		{"non-zero spare bits", header + nonCanonical, envelope.ErrMalformed},
		{"upper-cased", strings.ToUpper(sealed), envelope.ErrMalformed},
		{"upper-cased key id", "v1." + strings.ToUpper(k.CurrentKeyID()) + "." + payload, envelope.ErrMalformed},
		{"line break in payload", header + payload[:60] + "\n" + payload[60:], envelope.ErrMalformed},
		{"CRLF in payload", header + payload[:60] + "\r\n" + payload[60:], envelope.ErrMalformed},
		{"trailing newline", sealed + "\n", envelope.ErrMalformed},
		{"trailing CRLF", sealed + "\r\n", envelope.ErrMalformed},
		{"leading space", " " + sealed, envelope.ErrMalformed},
		{"trailing space", sealed + " ", envelope.ErrMalformed},
		{"percent-encoded", strings.ReplaceAll(sealed, "-", "%2D"), envelope.ErrMalformed},
		// Hex digits are base64url characters, so this one decodes, to other bytes, and fails
		// authentication instead.
		{"hex payload", header + hex.EncodeToString(raw), envelope.ErrDecrypt},
		{"base64 of the whole value", base64.StdEncoding.EncodeToString([]byte(sealed)), envelope.ErrMalformed},
		{"JSON-quoted", `"` + sealed + `"`, envelope.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.value == sealed {
				t.Fatal("test premise: the variant equals the original")
			}
			_, err := k.Open(tc.value, userID)
			requireOnly(t, err, tc.want)
		})
	}

	// The untouched value still opens, so the rejections above are about the encoding.
	if _, err := k.Open(sealed, userID); err != nil {
		t.Fatalf("the original no longer opens: %v", err)
	}
}

func TestMalformedShapes(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	id := k.CurrentKeyID()
	valid := mustSeal(t, k, []byte("x"), userID)
	payload := valid[strings.LastIndexByte(valid, '.')+1:]
	for _, tc := range []struct{ name, value string }{
		{"empty", ""},
		{"plaintext key", "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"only a dot", "."},
		{"no payload", "v1." + id},
		{"empty payload", "v1." + id + "."},
		{"unsupported version", "v3." + id + "." + payload},
		{"no version", id + "." + payload},
		{"short key id", "v1." + id[:11] + "." + payload},
		{"long key id", "v1." + id + "0." + payload},
		{"non-hex key id", "v1.zzzzzzzzzzzz." + payload},
		{"extra field", "v1." + id + ".extra." + payload},
		{"payload shorter than nonce and tag", "v1." + id + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 27))},
		{"impossible base64 length", "v1." + id + "." + payload[:len(payload)-(len(payload)%4)] + "A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.Open(tc.value, userID)
			requireOnly(t, err, envelope.ErrMalformed)
		})
	}
}

func TestKeyIDParsesTheHeaderOnly(t *testing.T) {
	id, err := envelope.KeyID("v1.0123456789ab.anything")
	if err != nil || id != "0123456789ab" {
		t.Fatalf("KeyID = %q, %v", id, err)
	}
	for _, s := range []string{"", "v1", "v1.0123456789ab", "v3.0123456789ab.x", "v1.0123456789AB.x", "v1.0123456789a.x", "x.0123456789ab.x"} {
		if id, err := envelope.KeyID(s); err == nil {
			t.Errorf("KeyID(%q) = %q, want ErrMalformed", s, id)
		} else {
			requireOnly(t, err, envelope.ErrMalformed)
		}
	}
}
