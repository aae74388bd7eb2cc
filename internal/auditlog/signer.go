package auditlog

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/mod/sumdb/note"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// MinSecretLen is the shortest LAUNCHPAD_AUDIT_SIGNING_SECRET accepted, in bytes.
const MinSecretLen = 32

// seedInfo is the HKDF info of the signing key: a key derived for anything else from the same
// secret can never be this one.
const seedInfo = "launchpad audit checkpoint ed25519 seed v1"

// DefaultOrigin is the origin of a log whose control plane has no public URL.
const DefaultOrigin = "launchpad/audit"

// Origin is the checkpoint origin (and the signing key's name): origin when set, else the
// host of publicURL followed by "/audit", else DefaultOrigin. C2SP wants an origin unique to
// the log; the host the control plane is reached at is.
func Origin(origin, publicURL string) (string, error) {
	if origin == "" {
		origin = DefaultOrigin
		if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
			origin = u.Host + "/audit"
		}
	}
	if strings.ContainsFunc(origin, func(r rune) bool { return unicode.IsSpace(r) || r == '+' || !unicode.IsPrint(r) }) || len(origin) > 200 {
		return "", launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_AUDIT_ORIGIN %q is not a valid checkpoint origin: use a schema-less URL without spaces or '+', like launchpad.example.com/audit", launchpad.Clip(origin, 64))
	}
	return origin, nil
}

// Signer signs checkpoints with the Ed25519 key derived from the audit signing secret.
type Signer struct {
	origin   string
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// NewSigner derives the signing key from secret (HKDF-SHA256, no salt, seedInfo) and names it
// origin. The key depends on the secret alone, so every replica, and `audit verifier-key`,
// derive the same one. EINVALID for a secret shorter than MinSecretLen bytes (the message
// never repeats it).
func NewSigner(secret []byte, origin string) (*Signer, error) {
	if len(secret) < MinSecretLen {
		return nil, launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_AUDIT_SIGNING_SECRET is too short (%d bytes): use at least %d random bytes, e.g. openssl rand -base64 48", len(secret), MinSecretLen)
	}
	seed, err := hkdf.Key(sha256.New, secret, nil, seedInfo, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "checkpoint origin %q cannot name a key: %v", launchpad.Clip(origin, 64), err)
	}
	// A note signer key is "PRIVATE+KEY+<name>+<hash>+<base64(alg, seed)>"; name and hash are
	// the verifier key's, so build it from the vkey rather than recompute the key hash.
	// The key hash is the 8 hex digits after "<name>+" (the base64 key may itself hold '+').
	hash, _, _ := strings.Cut(strings.TrimPrefix(vkey, origin+"+"), "+")
	skey := "PRIVATE+KEY+" + origin + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed...)) // 1: alg Ed25519
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Signer{origin: origin, signer: signer, verifier: verifier, vkey: vkey}, nil
}

// Origin is the origin line of the checkpoints s signs.
func (s *Signer) Origin() string { return s.origin }

// VerifierKey is the note verifier key, "<name>+<hash>+<base64 key>", operators hand to
// whoever checks checkpoints.
func (s *Signer) VerifierKey() string { return s.vkey }

// Verifier checks s's signatures.
func (s *Signer) Verifier() note.Verifier { return s.verifier }

// Sign returns c as a signed note.
func (s *Signer) Sign(c Checkpoint) ([]byte, error) {
	if c.Origin != s.origin {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "checkpoint of origin %q signed by the key of %q", c.Origin, s.origin)
	}
	return note.Sign(&note.Note{Text: c.Body()}, s.signer)
}
