package auditlog

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Checkpoint is a C2SP tlog-checkpoint: the log's origin, a tree size and the root hash of
// the tree at that size (https://c2sp.org/tlog-checkpoint).
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Body is the checkpoint's note text: "<origin>\n<size>\n<base64 root>\n". (tlog.FormatTree
// is the older go.sum database form, which has no origin line.)
func (c Checkpoint) Body() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
}

// ParseCheckpoint reads a checkpoint body. Extension lines after the root are allowed by
// C2SP and ignored.
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitAfter(text, "\n")
	bad := func(why string) (Checkpoint, error) {
		return Checkpoint{}, launchpad.Errorf(launchpad.EINVALID, "not a tlog checkpoint: %s", why)
	}
	if len(lines) < 4 || !strings.HasSuffix(text, "\n") {
		return bad("want an origin line, a size line and a root hash line")
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	size, err := strconv.ParseInt(strings.TrimSuffix(lines[1], "\n"), 10, 64)
	if origin == "" {
		return bad("the origin line is empty")
	}
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != strings.TrimSuffix(lines[1], "\n") {
		return bad("the second line is not a tree size")
	}
	root, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(lines[2], "\n"))
	if err != nil || len(root) != tlog.HashSize {
		return bad("the third line is not a base64 SHA-256 root hash")
	}
	return Checkpoint{Origin: origin, Size: size, Root: tlog.Hash(root)}, nil
}

// OpenCheckpoint verifies a signed checkpoint note with the verifier key vkey and returns the
// checkpoint. The origin must be the key's name, as Launchpad signs them. EINVALID, saying
// what is wrong, for a note not signed by that key, a malformed key or a malformed body.
func OpenCheckpoint(msg []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, launchpad.Errorf(launchpad.EINVALID, "the verifier key is malformed (%v): use the last line `audit verifier-key` prints", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Checkpoint{}, launchpad.Errorf(launchpad.EINVALID, "the checkpoint is not signed by the key %s: it was signed with another key (another LAUNCHPAD_AUDIT_SIGNING_SECRET), or forged", v.Name())
		}
		return Checkpoint{}, launchpad.Errorf(launchpad.EINVALID, "the checkpoint does not verify with the key %s: %v", v.Name(), err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, launchpad.Errorf(launchpad.EINVALID, "the checkpoint is of the log %q, but the key is %q's", c.Origin, v.Name())
	}
	return c, nil
}
