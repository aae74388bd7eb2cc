package envelope

import (
	"errors"
	"fmt"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Sentinel errors, one per way sealing or opening can fail. Test with errors.Is; every
// returned error also carries a *launchpad.Error (code launchpad.EINVALID) whose message says
// what is wrong and what to do.
var (
	// ErrSecretTooShort: a platform secret has fewer than MinSecretLength bytes.
	ErrSecretTooShort = errors.New("envelope: platform secret is too short")
	// ErrSameKeyID: the previous secret has the same key id as the current one (almost
	// always because it is the same secret).
	ErrSameKeyID = errors.New("envelope: previous platform secret has the current key id")
	// ErrMissingUserID: Seal or Open was called without the owner's user id.
	ErrMissingUserID = errors.New("envelope: user id is empty")
	// ErrMalformed: the value is not a v1 or v2 sealed value (wrong shape, version, key id
	// syntax, base64, or too short to hold a nonce and tag).
	ErrMalformed = errors.New("envelope: sealed value is malformed")
	// ErrUnknownKeyID: the value is well formed but sealed under a key id the keyring does not
	// hold (the secret it was sealed under is neither PLATFORM_SECRET nor
	// PLATFORM_SECRET_PREVIOUS).
	ErrUnknownKeyID = errors.New("envelope: sealed value has an unknown key id")
	// ErrDecrypt: authentication failed. The value was altered, belongs to another user, or
	// its header was edited to name another key.
	ErrDecrypt = errors.New("envelope: sealed value does not open")
	// ErrKeyErased: the value is sealed under the user's key material (format v2), and the
	// store holds none for the user: the account was deleted and its credentials
	// crypto-shredded, so nothing can open the value any more.
	ErrKeyErased = errors.New("envelope: the user's key material was erased")
	// ErrNeedsUserKey: a v2 value was given to Keyring.Open, which has no user key material;
	// open it with Sealer.Open (or Keyring.OpenWith and the user's material).
	ErrNeedsUserKey = errors.New("envelope: sealed value needs the user's key material")
)

// envelopeError joins a sentinel (for errors.Is) and a coded launchpad error (for
// launchpad.ErrorCode and launchpad.ErrorMessage) without making the sentinels themselves
// mutable *launchpad.Error values that any importer could change.
type envelopeError struct {
	sentinel error
	coded    *launchpad.Error
}

func (e *envelopeError) Error() string   { return e.coded.Error() }
func (e *envelopeError) Unwrap() []error { return []error{e.sentinel, e.coded} }

// fail returns an EINVALID error matching sentinel. The message must never be built from a
// secret, a key, a plaintext or unvalidated parts of a sealed value.
func fail(sentinel error, format string, args ...any) error {
	return &envelopeError{
		sentinel: sentinel,
		coded:    &launchpad.Error{Code: launchpad.EINVALID, Message: fmt.Sprintf(format, args...)},
	}
}

// malformed is the ErrMalformed error with what is wrong and the expected shape.
func malformed(problem string) error {
	return fail(ErrMalformed, "sealed value is malformed: %s; expected %s or %s, then .<12 hex key id>.<unpadded base64url>, exactly as Seal produced it", problem, version, versionUser)
}
