// Package envelope seals stored credentials (OpenRouter sub-keys, BYOK keys, TOTP secrets)
// under keys derived from the platform secret, and derives the other purpose-bound keys of
// that secret (session signing, sign-in code HMAC), so that one secret can be rotated.
//
// # Format
//
// A sealed value is a printable ASCII string of three fields separated by '.':
//
//	v1.<key id>.<payload>
//
// The fields:
//
//   - "v1" or "v2" is the format version. v1 is sealed under the platform secret's key alone;
//     v2 under a key of the platform secret and the user's key material (see "Format v2").
//     This build reads both and writes v2 (Sealer); Keyring.Seal still writes v1.
//   - <key id> is 12 lower-case hex characters (48 bits) derived from the platform secret
//     with HKDF (see below), so the same secret always has the same id and nothing is stored.
//     It names the secret a value was sealed under without revealing anything about the key.
//   - <payload> is unpadded base64url (RFC 4648 §5) of nonce ‖ ciphertext ‖ tag: a 12-byte
//     nonce read from crypto/rand for every seal, the AES-256-GCM ciphertext (as long as the
//     plaintext) and the 16-byte GCM tag.
//
// The additional authenticated data is the header "v1.<key id>." followed by the user id, so
// the version and key id are authenticated along with the owner: editing the header, or
// opening a value with another user's id (for example after copying it to another user's
// record), fails. Decoding is canonical: every string that opens is exactly the one Seal
// produced (no padding, no other alphabet, no ignored line breaks, no stray trailing bits).
//
// # Format v2: per-user keys and crypto-shredding
//
// A v2 value has the same shape and additional data, with "v2" in the header. Its AES-256-GCM
// key is derived from the platform secret and the user's key material, 32 random bytes the
// store keeps per user (launchpad.UserKeyStore), created by the user's first seal:
//
//	salt = HKDF-Expand(secret's PRK, "launchpad/envelope/v2/user-salt", 32)
//	key  = HKDF-Expand(HKDF-Extract(salt, material), "launchpad/envelope/v2/aes-256-gcm/" + user id, 32)
//
// So a v2 value opens only while both exist. The material is stored as it is: the store alone
// opens nothing without PLATFORM_SECRET, PLATFORM_SECRET alone nothing without the store, and
// wrapping the material under the platform key would add no third factor while tying it to
// every rotation (rotate-secret re-seals v2 values under the new secret, material unchanged).
// An account deletion deletes the material, which crypto-shreds every v2 value of the user:
// copies kept anywhere fail with ErrKeyErased. A store backup taken before the deletion still
// holds the material until the backup expires. Sealer reads the material from the store on
// every Seal and Open; the keyring caches the derived AEAD per user (bounded, looked up only
// with the material itself), so a v2 Seal or Open costs about what a v1 one does.
//
// # Keys
//
// For each platform secret (PLATFORM_SECRET, and PLATFORM_SECRET_PREVIOUS during a rotation)
// NewKeyring runs HKDF-SHA256 (golang.org/x/crypto/hkdf) once: Extract with the fixed salt
// "launchpad/platform-secret/v1", then Expand with the info
//
//   - "launchpad/envelope/v1/aes-256-gcm" → the 32-byte sealing key (the cipher.AEAD is built
//     once, here, and shared by every Seal and Open),
//   - "launchpad/envelope/v1/key-id" → 6 bytes, hex-encoded as the key id,
//   - "launchpad/derive/v1/" + purpose → the 32-byte keys Derive returns.
//
// No per-record key derivation happens: the cost of a Seal or Open is one AES-GCM operation,
// one nonce, and the base64 encoding the printable form needs.
//
// Secrets shorter than 32 bytes are refused. A Keyring is safe for concurrent use.
//
// # The store's key
//
// Each store records the key id its credentials are sealed under (launchpad.PlatformKeys):
// the active key, the next key of a rotation in progress, and the retired ones. Every process
// compares its own key ids with that record — CheckStore when it starts or plans, ClaimStore
// before every seal — so a process whose PLATFORM_SECRET is not the store's (a new shell with
// a fresh random secret, a secret rotate-secret has retired) fails before it changes anything,
// and nothing is ever sealed under a key the others cannot open. rotate-secret makes the new
// key active when it has re-sealed every credential.
//
// # Errors
//
// Every error wraps one of the sentinels (ErrSecretTooShort, ErrSameKeyID, ErrMissingUserID,
// ErrMalformed, ErrUnknownKeyID, ErrDecrypt) for errors.Is, and a *launchpad.Error with code
// launchpad.EINVALID for launchpad.ErrorCode and launchpad.ErrorMessage. No error text holds
// a secret, a key, a plaintext, or any part of the sealed input but a key id or a version
// number that matched its strict pattern.
//
// # What it does not protect against
//
//   - Anyone who holds the platform secret, or can read the memory of a process that does: the
//     secret opens every value. Keep it out of logs, images and Terraform state.
//   - A guessable secret: 32 bytes are required, but they must be random (for example
//     `openssl rand -base64 48`); the key id and every tag allow offline guessing.
//   - Rollback and swapping within one user: someone who can write the store can put back an
//     older sealed value of the same user, or move one of the user's sealed fields into
//     another of the same user's fields (BYOK key ↔ sub-key ↔ TOTP secret); both open. The
//     user id, not the field or a version counter, is the additional data.
//   - Length: the ciphertext is as long as the plaintext, so its length is visible.
//   - Nonce exhaustion: random 96-bit nonces are safe for about 2^32 seals under one secret;
//     rotate the secret long before that.
package envelope
