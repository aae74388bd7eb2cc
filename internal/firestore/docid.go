package firestore

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Firestore document ids may not contain "/", be "." or "..", match __.*__, or exceed 1500
// bytes, and keys reach the store from users, Terraform configurations and Stripe. docID maps
// any key to a valid id, one to one:
//
//   - a plain key (1-256 bytes of [A-Za-z0-9._-], starting with a letter or digit) is its own
//     id, so a user's launchpad_users/{uid} document keeps the name the host's web app uses;
//   - anything else is "~" followed by the key in unpadded base64url ("~" never starts a plain
//     key, and base64url never contains "~");
//   - a key whose encoding would exceed 1,000 bytes is "~~" and the hex SHA-256 of the key.
//
// Ids never contain ":" or ";", which compositeID and the audit log use as separators.
func docID(key string) string {
	if plainKey(key) {
		return key
	}
	enc := base64.RawURLEncoding.EncodeToString([]byte(key))
	if len(enc) > 1000 {
		sum := sha256.Sum256([]byte(key))
		return "~~" + hex.EncodeToString(sum[:])
	}
	return "~" + enc
}

func plainKey(key string) bool {
	if key == "" || len(key) > 256 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// compositeID is the document id of a tuple of keys: each part length-prefixed, so that no two
// tuples share an id.
func compositeID(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte('.')
		b.WriteString(p)
	}
	return docID(b.String())
}
