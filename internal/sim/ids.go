package sim

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomHex returns n random bytes as lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// crockford is the alphabet of ULIDs, which Fly uses for instance and event ids.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// randomFrom returns n characters drawn uniformly from alphabet (at most 256 symbols).
func randomFrom(alphabet string, n int) string {
	var sb strings.Builder
	sb.Grow(n)
	limit := 256 - 256%len(alphabet) // rejection sampling keeps the draw uniform
	buf := make([]byte, n)
	for sb.Len() < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && sb.Len() < n {
				sb.WriteByte(alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return sb.String()
}
