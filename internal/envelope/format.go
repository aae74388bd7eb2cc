package envelope

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

const (
	version     = "v1" // sealed under the platform secret's key alone
	versionUser = "v2" // sealed under a key of the platform secret and the user's key material
	nonceSize   = 12
	tagSize     = 16
)

// payloadEncoding is unpadded base64url. Strict rejects non-zero trailing bits, so each byte
// string has exactly one encoding; decodePayload also refuses the CR/LF that the decoder would
// otherwise skip.
var payloadEncoding = base64.RawURLEncoding.Strict()

var (
	keyIDPattern   = regexp.MustCompile(`^[0-9a-f]{12}$`)
	versionPattern = regexp.MustCompile(`^v[0-9]{1,3}$`)
)

// KeyID returns the key id of a sealed value without opening it. It checks the header only;
// Open checks the rest.
func KeyID(sealed string) (string, error) {
	_, id, _, err := parse(sealed)
	return id, err
}

// Version returns the format version of a sealed value ("v1" or "v2") without opening it.
func Version(sealed string) (string, error) {
	ver, _, _, err := parse(sealed)
	return ver, err
}

// parse splits a sealed value into its version, key id and payload, checking the header. Error texts
// never quote the input: a plaintext stored by mistake where a sealed value belongs must not
// reach a log through them.
func parse(sealed string) (ver, id, payload string, err error) {
	ver, rest, ok := strings.Cut(sealed, ".")
	if !ok {
		return "", "", "", malformed("it has no header (a plaintext or another encoding stored where a sealed value belongs?)")
	}
	if ver != version && ver != versionUser {
		if versionPattern.MatchString(ver) {
			return "", "", "", malformed(fmt.Sprintf("format version %q is not supported by this build", ver))
		}
		return "", "", "", malformed("it does not start with a format version")
	}
	id, payload, ok = strings.Cut(rest, ".")
	if !ok {
		return "", "", "", malformed("it has no payload")
	}
	if !keyIDPattern.MatchString(id) {
		return "", "", "", malformed("the key id is not 12 lower-case hex characters")
	}
	return ver, id, payload, nil
}

// decodePayload decodes nonce ‖ ciphertext ‖ tag, accepting only the canonical encoding.
func decodePayload(payload string) ([]byte, error) {
	raw, err := payloadEncoding.DecodeString(payload)
	if err != nil {
		return nil, malformed("the payload is not unpadded base64url")
	}
	// The decoder skips '\r' and '\n'; a canonical payload has exactly the encoded length.
	if payloadEncoding.EncodedLen(len(raw)) != len(payload) {
		return nil, malformed("the payload contains characters outside base64url")
	}
	if len(raw) < nonceSize+tagSize {
		return nil, malformed(fmt.Sprintf("the payload holds %d bytes, fewer than a nonce and tag (%d)", len(raw), nonceSize+tagSize))
	}
	return raw, nil
}

// encode returns header ‖ base64url(raw). It encodes through a stack buffer into a
// strings.Builder, whose buffer becomes the string: one allocation of the final size and no
// copy of it, which matters at a few KiB where allocation and zeroing rival the AES-GCM work.
func encode(header string, raw []byte) string {
	var b strings.Builder
	b.Grow(len(header) + payloadEncoding.EncodedLen(len(raw)))
	b.WriteString(header)
	// Chunks are a multiple of 3 bytes, so only the last one can end in a partial quantum and
	// the concatenation equals the encoding of the whole.
	const chunk = 768
	var text [chunk / 3 * 4]byte
	for len(raw) > 0 {
		n := min(len(raw), chunk)
		m := payloadEncoding.EncodedLen(n)
		payloadEncoding.Encode(text[:m], raw[:n])
		b.Write(text[:m])
		raw = raw[n:]
	}
	return b.String()
}

// additionalData binds the header (version and key id) and the owner to the ciphertext.
// The header has a fixed length, so header ‖ user id is unambiguous.
func additionalData(header, userID string) []byte {
	aad := make([]byte, 0, len(header)+len(userID))
	return append(append(aad, header...), userID...)
}
