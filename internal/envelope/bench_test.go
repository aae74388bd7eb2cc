package envelope_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The benchmarks put the envelope beside a bare AES-256-GCM cipher.AEAD built once (the floor
// for any sealing) and beside that AEAD plus the unpadded base64url a printable value needs.
// Compare ns/op, or cpu-ns/op on a busy machine, within one size:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./internal/envelope/

var benchSizes = []struct {
	name string
	n    int
}{{"64B", 64}, {"4KiB", 4096}}

// loop runs op in a b.Loop and adds a cpu-ns/op metric (process CPU time, including the
// garbage collector's, per operation).
func loop(b *testing.B, bytes int, op func()) {
	b.Helper()
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	start, ok := processCPUTime()
	for b.Loop() {
		op()
	}
	if end, ok2 := processCPUTime(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// benchMaterial is a user's key material for the v2 variants: the cost of a store read to
// fetch it is the store's, so the benchmarks measure the cryptography alone.
func benchMaterial() []byte { return bytes.Repeat([]byte{7}, launchpad.UserKeyLength) }

func bareAEAD(b *testing.B) cipher.AEAD {
	b.Helper()
	block, err := aes.NewCipher(envelope.SealingKeyOf(secretA))
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	return aead
}

// variant is one way of doing what a benchmark measures, run at every size.
type variant struct {
	name string
	run  func(b *testing.B, plaintext, aad []byte)
}

// bySize runs each variant at each of benchSizes on a zero plaintext; aad is what the
// envelope binds to userID, given to the bare AEAD so both authenticate the same bytes.
func bySize(b *testing.B, variants ...variant) {
	for _, size := range benchSizes {
		plaintext := make([]byte, size.n)
		aad := []byte("v1.0123456789ab." + userID)
		for _, v := range variants {
			b.Run(size.name+"/"+v.name, func(b *testing.B) { v.run(b, plaintext, aad) })
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	bySize(b,
		variant{"envelope", func(b *testing.B, plaintext, _ []byte) {
			k := mustKeyring(b, secretA, "")
			loop(b, len(plaintext), func() {
				if _, err := k.Seal(plaintext, userID); err != nil {
					b.Fatal(err)
				}
			})
		}},
		variant{"envelope-v2", func(b *testing.B, plaintext, _ []byte) {
			k, material := mustKeyring(b, secretA, ""), benchMaterial()
			loop(b, len(plaintext), func() {
				if _, err := k.SealWith(plaintext, userID, material); err != nil {
					b.Fatal(err)
				}
			})
		}},
		variant{"bare-aead", func(b *testing.B, plaintext, aad []byte) {
			aead, nonce := bareAEAD(b), make([]byte, 12)
			out := make([]byte, 0, len(plaintext)+aead.Overhead())
			loop(b, len(plaintext), func() {
				out = aead.Seal(out[:0], nonce, plaintext, aad)
			})
		}},
		variant{"bare-aead+base64", func(b *testing.B, plaintext, aad []byte) {
			aead, nonce := bareAEAD(b), make([]byte, 12)
			out := make([]byte, 0, len(plaintext)+aead.Overhead())
			text := make([]byte, 0, base64.RawURLEncoding.EncodedLen(cap(out)))
			loop(b, len(plaintext), func() {
				out = aead.Seal(out[:0], nonce, plaintext, aad)
				text = base64.RawURLEncoding.AppendEncode(text[:0], out)
			})
		}},
	)
}

func BenchmarkOpen(b *testing.B) {
	bySize(b,
		variant{"envelope", func(b *testing.B, plaintext, _ []byte) {
			k := mustKeyring(b, secretA, "")
			sealed := mustSeal(b, k, plaintext, userID)
			loop(b, len(plaintext), func() {
				if _, err := k.Open(sealed, userID); err != nil {
					b.Fatal(err)
				}
			})
		}},
		variant{"envelope-v2", func(b *testing.B, plaintext, _ []byte) {
			k, material := mustKeyring(b, secretA, ""), benchMaterial()
			sealed, err := k.SealWith(plaintext, userID, material)
			if err != nil {
				b.Fatal(err)
			}
			loop(b, len(plaintext), func() {
				if _, err := k.OpenWith(sealed, userID, material); err != nil {
					b.Fatal(err)
				}
			})
		}},
		variant{"bare-aead", func(b *testing.B, plaintext, aad []byte) {
			aead, nonce := bareAEAD(b), make([]byte, 12)
			ciphertext := aead.Seal(nil, nonce, plaintext, aad)
			out := make([]byte, 0, len(plaintext))
			loop(b, len(plaintext), func() {
				var err error
				if out, err = aead.Open(out[:0], nonce, ciphertext, aad); err != nil {
					b.Fatal(err)
				}
			})
		}},
		variant{"bare-aead+base64", func(b *testing.B, plaintext, aad []byte) {
			aead, nonce := bareAEAD(b), make([]byte, 12)
			text := base64.RawURLEncoding.EncodeToString(aead.Seal(nil, nonce, plaintext, aad))
			raw := make([]byte, 0, len(text))
			out := make([]byte, 0, len(plaintext))
			loop(b, len(plaintext), func() {
				var err error
				if raw, err = base64.RawURLEncoding.AppendDecode(raw[:0], []byte(text)); err != nil {
					b.Fatal(err)
				}
				if out, err = aead.Open(out[:0], nonce, raw, aad); err != nil {
					b.Fatal(err)
				}
			})
		}},
	)
}

// BenchmarkNewKeyring is the HKDF and AES key schedule cost NewKeyring pays once per keyring
// (two secrets during a rotation), and Seal and Open never pay.
func BenchmarkNewKeyring(b *testing.B) {
	loop(b, 0, func() {
		if _, err := envelope.NewKeyring(secretB, secretA); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkUserKey is the HKDF and AES key schedule cost of a user key (format v2) the keyring
// has not built yet: paid on the first Seal or Open of a user's credential, then cached.
func BenchmarkUserKey(b *testing.B) {
	k, material, plaintext := mustKeyring(b, secretA, ""), benchMaterial(), make([]byte, 64)
	loop(b, len(plaintext), func() {
		k.Forget(userID)
		if _, err := k.SealWith(plaintext, userID, material); err != nil {
			b.Fatal(err)
		}
	})
}
