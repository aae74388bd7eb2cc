package release

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
)

// TestSigningWithARealKey signs as the operations guide says a release is signed for real:
// with a key of the gpg keyring (GPG_FINGERPRINT) and with a passphrase-protected armored
// secret key file (RELEASE_SIGNING_KEY); gpgv verifies both signatures with the exported public
// key, and a wrong passphrase is refused.
func TestSigningWithARealKey(t *testing.T) {
	gpg := stacktest.Command(t, "gpg", "gpg not found: install Debian's gnupg")
	home, err := os.MkdirTemp("", "gpg") // short: gpg-agent's socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GNUPGHOME", home)
	t.Cleanup(func() {
		_ = exec.Command("gpgconf", "--kill", "gpg-agent").Run()
		os.RemoveAll(home)
	})
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(gpg, append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", "correct horse"}, args...)...).Output()
		if err != nil {
			t.Fatalf("gpg %v: %v", args, err)
		}
		return out
	}
	run("--quick-generate-key", "Launchpad test releases <releases@example.com>", "rsa2048", "sign", "1d")
	var fpr string
	for _, line := range strings.Split(string(run("--list-secret-keys", "--with-colons")), "\n") {
		if f := strings.Split(line, ":"); len(f) > 9 && f[0] == "fpr" {
			fpr = f[9]
			break
		}
	}
	if fpr == "" {
		t.Fatal("no fingerprint for the generated key")
	}
	keyFile := filepath.Join(home, "secret.asc")
	if err := os.WriteFile(keyFile, run("--armor", "--export-secret-keys", fpr), 0o600); err != nil {
		t.Fatal(err)
	}
	// gpg --detach-sign asks gpg-agent for the passphrase: hand it over once, as a
	// preset cache entry would in CI.
	run("--local-user", fpr, "--output", filepath.Join(home, "warm.sig"), "--detach-sign", keyFile)

	message := []byte("0123  terraform-provider-launchpad_1.0.0_linux_amd64.zip\n")
	msgFile := filepath.Join(home, "SHA256SUMS")
	if err := os.WriteFile(msgFile, message, 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadKeyFile(keyFile, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(keyFile, []byte("wrong")); err == nil {
		t.Fatal("a wrong passphrase opened the key")
	}
	if _, err := LoadKeyFile(keyFile, nil); err == nil || !strings.Contains(err.Error(), "RELEASE_SIGNING_PASSPHRASE") {
		t.Fatalf("no passphrase: %v", err)
	}
	for name, s := range map[string]Signer{"gpg keyring": &GPGSigner{Fingerprint: fpr}, "key file": fromFile} {
		var sig, pub bytes.Buffer
		if err := s.Sign(bytes.NewReader(message), &sig); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := s.PublicKey(&pub); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sigFile, pubFile := filepath.Join(home, "sig"), filepath.Join(home, "pub.asc")
		if err := os.WriteFile(sigFile, sig.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pubFile, pub.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		gpgv := gpgVerifier(t, pubFile)
		if out, err := gpgv(sigFile, msgFile); err != nil || !strings.Contains(out, "Good signature") {
			t.Fatalf("%s (%s): gpgv: %v\n%s", name, s, err, out)
		}
		if !strings.Contains(s.String(), fpr[len(fpr)-16:]) {
			t.Errorf("%s names itself %q, not by its fingerprint %s", name, s, fpr)
		}
	}
}
