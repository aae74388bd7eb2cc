package envelope_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
)

var sealedPattern = regexp.MustCompile(`^v1\.[0-9a-f]{12}\.[A-Za-z0-9_-]+$`)

func TestSealOpenRoundTrip(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	for _, tc := range []struct {
		name      string
		plaintext []byte
	}{
		{"empty", nil},
		{"64B", randomBytes(t, 64)},
		{"4KiB", randomBytes(t, 4096)},
		{"1MiB", randomBytes(t, 1<<20)},
		{"all byte values", func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealed := mustSeal(t, k, tc.plaintext, userID)
			if !sealedPattern.MatchString(sealed) {
				t.Fatalf("sealed value is not v1.<12 hex>.<base64url>: %.80q", sealed)
			}
			header, raw := split(t, sealed)
			if header != "v1."+k.CurrentKeyID()+"." {
				t.Fatalf("header %q does not name the current key id %s", header, k.CurrentKeyID())
			}
			if want := 12 + len(tc.plaintext) + 16; len(raw) != want {
				t.Fatalf("payload is %d bytes, want nonce+ciphertext+tag = %d", len(raw), want)
			}
			if len(tc.plaintext) >= 16 && bytes.Contains(raw, tc.plaintext[:16]) {
				t.Fatal("payload contains the plaintext")
			}
			got, err := k.Open(sealed, userID)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			equalBytes(t, got, tc.plaintext)

			// Another keyring built from the same secret opens it: nothing is stored but the secret.
			again, err := mustKeyring(t, secretA, "").Open(sealed, userID)
			if err != nil {
				t.Fatalf("Open with a second keyring of the same secret: %v", err)
			}
			equalBytes(t, again, tc.plaintext)
		})
	}
}

func TestSealDoesNotKeepOrChangeThePlaintext(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	plaintext := []byte("sk-or-v1-0123456789abcdef0123456789abcdef")
	before := bytes.Clone(plaintext)
	sealed := mustSeal(t, k, plaintext, userID)
	equalBytes(t, plaintext, before)
	plaintext[0] = 'X' // the sealed value must not alias the caller's buffer
	got, err := k.Open(sealed, userID)
	if err != nil {
		t.Fatal(err)
	}
	equalBytes(t, got, before)
}

func TestOpenWithAnotherUserIDFails(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	sealed := mustSeal(t, k, []byte("byok-key-of-user-one"), userID)
	for _, uid := range []string{otherID, strings.ToUpper(userID), userID + " ", userID[:len(userID)-1], "x" + userID} {
		_, err := k.Open(sealed, uid)
		requireOnly(t, err, envelope.ErrDecrypt)
	}
}

func TestEmptyUserIDRefused(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	_, err := k.Seal([]byte("x"), "")
	requireOnly(t, err, envelope.ErrMissingUserID)
	sealed := mustSeal(t, k, []byte("x"), userID)
	_, err = k.Open(sealed, "")
	requireOnly(t, err, envelope.ErrMissingUserID)
	_, err = k.Reseal(sealed, "")
	requireOnly(t, err, envelope.ErrMissingUserID)
}

func TestNoncesDiffer(t *testing.T) {
	k := mustKeyring(t, secretA, "")
	plaintext := []byte("the same plaintext, sealed twice")
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		sealed := mustSeal(t, k, plaintext, userID)
		_, raw := split(t, sealed)
		nonce := string(raw[:12])
		if seen[nonce] {
			t.Fatalf("nonce repeated after %d seals", i)
		}
		seen[nonce] = true
	}
	a, b := mustSeal(t, k, plaintext, userID), mustSeal(t, k, plaintext, userID)
	if a == b {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestSecretLength(t *testing.T) {
	for _, tc := range []struct {
		name             string
		secret, previous string
		wantErr          error
	}{
		{"empty", "", "", envelope.ErrSecretTooShort},
		{"31 bytes", strings.Repeat("s", 31), "", envelope.ErrSecretTooShort},
		{"32 bytes", strings.Repeat("s", 32), "", nil},
		{"31 bytes of multi-byte runes counts bytes", strings.Repeat("é", 15) + "x", "", envelope.ErrSecretTooShort},
		{"previous 31 bytes", secretA, strings.Repeat("p", 31), envelope.ErrSecretTooShort},
		{"previous 32 bytes", secretA, strings.Repeat("p", 32), nil},
		{"previous equals current", secretA, secretA, envelope.ErrSameKeyID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := envelope.NewKeyring(tc.secret, tc.previous)
			if tc.wantErr == nil {
				if err != nil || k == nil {
					t.Fatalf("NewKeyring: %v", err)
				}
				return
			}
			requireOnly(t, err, tc.wantErr)
			if k != nil {
				t.Fatal("a keyring was returned with the error")
			}
			for _, s := range []string{tc.secret, tc.previous} {
				if len(s) >= 8 && strings.Contains(err.Error(), s) {
					t.Fatalf("error echoes a secret: %q", err)
				}
			}
			if !strings.Contains(err.Error(), "PLATFORM_SECRET") {
				t.Fatalf("error %q does not name the setting to fix", err)
			}
		})
	}
}

func TestKeyIDs(t *testing.T) {
	a1, a2 := mustKeyring(t, secretA, ""), mustKeyring(t, secretA, secretB)
	b := mustKeyring(t, secretB, "")
	if a1.CurrentKeyID() != a2.CurrentKeyID() {
		t.Fatalf("the same secret gave key ids %s and %s", a1.CurrentKeyID(), a2.CurrentKeyID())
	}
	if a1.CurrentKeyID() == b.CurrentKeyID() {
		t.Fatalf("two secrets share key id %s", a1.CurrentKeyID())
	}
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(a1.CurrentKeyID()) {
		t.Fatalf("key id %q is not 12 lower-case hex characters", a1.CurrentKeyID())
	}
	sealed := mustSeal(t, a1, []byte("k"), userID)
	id, err := envelope.KeyID(sealed)
	if err != nil || id != a1.CurrentKeyID() {
		t.Fatalf("KeyID = %q, %v; want %s", id, err, a1.CurrentKeyID())
	}
	// The id is derived apart from the key: it is not a piece of the sealing key.
	for _, secret := range []string{secretA, secretB} {
		key := fmt.Sprintf("%x", envelope.SealingKeyOf(secret))
		if strings.Contains(key, mustKeyring(t, secret, "").CurrentKeyID()) {
			t.Fatal("the key id is a substring of the sealing key")
		}
	}
}

func TestRotation(t *testing.T) {
	old := mustKeyring(t, secretA, "")
	plaintext := []byte("sk-or-v1-rotated-key-material-0123456789")
	sealedOld := mustSeal(t, old, plaintext, userID)

	rotated := mustKeyring(t, secretB, secretA)
	if rotated.CurrentKeyID() == old.CurrentKeyID() {
		t.Fatal("the new secret kept the old key id")
	}
	got, err := rotated.Open(sealedOld, userID)
	if err != nil {
		t.Fatalf("a value sealed under the previous secret does not open: %v", err)
	}
	equalBytes(t, got, plaintext)
	if !rotated.NeedsReseal(sealedOld) {
		t.Fatal("NeedsReseal is false for a value under the previous key")
	}

	resealed, err := rotated.Reseal(sealedOld, userID)
	if err != nil {
		t.Fatalf("Reseal: %v", err)
	}
	if id, _ := envelope.KeyID(resealed); id != rotated.CurrentKeyID() {
		t.Fatalf("Reseal left the value under key id %s, want %s", id, rotated.CurrentKeyID())
	}
	if rotated.NeedsReseal(resealed) {
		t.Fatal("NeedsReseal is true after Reseal")
	}
	// Idempotent: a second pass returns the value unchanged.
	again, err := rotated.Reseal(resealed, userID)
	if err != nil || again != resealed {
		t.Fatalf("second Reseal changed the value (err %v)", err)
	}
	// The resealed value keeps its owner binding.
	_, err = rotated.Reseal(resealed, otherID)
	requireOnly(t, err, envelope.ErrDecrypt)
	_, err = rotated.Reseal(sealedOld, otherID)
	requireOnly(t, err, envelope.ErrDecrypt)

	// Once the rotation is finished, the new secret alone opens resealed values…
	finished := mustKeyring(t, secretB, "")
	got, err = finished.Open(resealed, userID)
	if err != nil {
		t.Fatalf("the resealed value does not open without the previous secret: %v", err)
	}
	equalBytes(t, got, plaintext)
	// …and a value that was missed by the rotation fails with ErrUnknownKeyID, naming its id.
	_, err = finished.Open(sealedOld, userID)
	requireOnly(t, err, envelope.ErrUnknownKeyID)
	if !strings.Contains(err.Error(), old.CurrentKeyID()) || !strings.Contains(err.Error(), "PLATFORM_SECRET_PREVIOUS") {
		t.Fatalf("error %q should name the key id and PLATFORM_SECRET_PREVIOUS", err)
	}
	_, err = finished.Reseal(sealedOld, userID)
	requireOnly(t, err, envelope.ErrUnknownKeyID)
	if !finished.NeedsReseal(sealedOld) {
		t.Fatal("NeedsReseal is false for a value under an unknown key")
	}
}

func TestResealReportsBrokenValues(t *testing.T) {
	k := mustKeyring(t, secretB, secretA)
	sealed := mustSeal(t, k, []byte("current"), userID)
	header, raw := split(t, sealed)
	raw[len(raw)-1] ^= 1
	_, err := k.Reseal(join(header, raw), userID)
	requireOnly(t, err, envelope.ErrDecrypt)
	if !k.NeedsReseal("not a sealed value") {
		t.Fatal("NeedsReseal is false for a plaintext")
	}
	_, err = k.Reseal("not a sealed value", userID)
	requireOnly(t, err, envelope.ErrMalformed)
}

// Seal and Open from many goroutines at once, with values of many sizes.
func TestConcurrentUse(t *testing.T) {
	k := mustKeyring(t, secretB, secretA)
	old := mustSeal(t, mustKeyring(t, secretA, ""), []byte("old"), userID)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				// Sizes vary, past the largest buffer Seal keeps for reuse too, so that a
				// reused buffer of another size never shows in a value.
				want := bytes.Repeat([]byte(fmt.Sprintf("goroutine %d value %d;", g, i)), 1+(i%4)*1000)
				sealed, err := k.Seal(want, userID)
				if err != nil {
					errs <- err
					return
				}
				got, err := k.Open(sealed, userID)
				if err != nil || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("round trip %d/%d failed: %v", g, i, err)
					return
				}
				if _, err := k.Reseal(old, userID); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestKeyringWithoutNewKeyringPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "NewKeyring") {
			t.Fatalf("recovered %v, want a panic that names NewKeyring", r)
		}
	}()
	var k envelope.Keyring
	_, _ = k.Seal([]byte("x"), userID)
}

func TestFormattingAKeyringShowsIDsOnly(t *testing.T) {
	k := mustKeyring(t, secretB, secretA)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, k)
		if !strings.Contains(out, k.CurrentKeyID()) {
			t.Errorf("%s of a keyring = %q, want its key id", verb, out)
		}
		for _, secret := range []string{secretA, secretB} {
			key := envelope.SealingKeyOf(secret)
			if strings.Contains(out, secret) || strings.Contains(out, fmt.Sprintf("%x", key)) || strings.Contains(out, fmt.Sprintf("%v", key)) {
				t.Errorf("%s of a keyring leaks key material: %q", verb, out)
			}
		}
	}
	for _, d := range k.Derive("session-signing") {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, d)
			if strings.Contains(out, fmt.Sprintf("%x", d.Key)) || strings.Contains(out, fmt.Sprintf("%v", d.Key)) || !strings.Contains(out, d.ID) {
				t.Errorf("%s of a DerivedKey = %q: it must show the id and hide the key", verb, out)
			}
		}
	}
}
