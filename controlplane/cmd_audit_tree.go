package controlplane

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// maxCheckpointFile bounds the checkpoint file read: a checkpoint is a few hundred bytes.
const maxCheckpointFile = 64 << 10

// checkpointFile is a checkpoint read from a file and verified with its key.
type checkpointFile struct {
	auditlog.Checkpoint
	key string // the verifier key's name and hash, for the report
}

// runVerifierKey is `audit verifier-key [--origin ORIGIN]`: it prints the note verifier key of
// the checkpoints serve signs with LAUNCHPAD_AUDIT_SIGNING_SECRET, as the last line.
func runVerifierKey(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit verifier-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	origin := fs.String("origin", "", "the checkpoints' origin (env "+settings.AuditOrigin+"; default: the host of "+settings.PublicURL+" + /audit, else "+auditlog.DefaultOrigin+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: terraform-provider-launchpad audit verifier-key [--origin ORIGIN]\n\nPrints the key that checks the audit log's signed checkpoints, derived from "+settings.AuditSigningSecret+"\n(read from the environment, never from a flag), as the last line.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "audit verifier-key takes no arguments, got %q\n", fs.Arg(0))
		return 2
	}
	if *origin == "" {
		*origin = getenv(settings.AuditOrigin)
	}
	name, err := auditlog.Origin(*origin, getenv(settings.PublicURL))
	if err != nil {
		fmt.Fprintf(stderr, "audit verifier-key: %s\n", launchpad.ErrorMessage(err))
		return 2
	}
	secret := getenv(settings.AuditSigningSecret)
	if secret == "" {
		fmt.Fprintf(stderr, "audit verifier-key: %s is not set: run this where serve's secret is, with the same variable\n", settings.AuditSigningSecret)
		return 1
	}
	signer, err := auditlog.NewSigner([]byte(secret), name)
	if err != nil {
		fmt.Fprintf(stderr, "audit verifier-key: %s\n", launchpad.ErrorMessage(err))
		return 1
	}
	fmt.Fprintf(stdout, "# The verifier key of the audit checkpoints of %s (a C2SP signed-note Ed25519 key).\n", name)
	fmt.Fprintln(stdout, "# Anyone holding it checks a checkpoint with: audit --verify --checkpoint FILE --verifier-key KEY")
	fmt.Fprintln(stdout, signer.VerifierKey())
	return 0
}

// readCheckpoint reads the signed checkpoint at path (or a witness file's newest one) and verifies its signature with vkey, or,
// when vkey is empty, with the key derived from LAUNCHPAD_AUDIT_SIGNING_SECRET (named by the
// checkpoint's own origin line: the key is the secret's whatever the name, and the origin is
// checked against the signature anyway).
func readCheckpoint(path, vkey string, getenv func(string) string) (*checkpointFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "cannot read the checkpoint file: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCheckpointFile+1))
	if err != nil || len(b) > maxCheckpointFile {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the checkpoint file %s is not a checkpoint (unreadable, or over %d bytes)", path, maxCheckpointFile)
	}
	msg := lastNote(string(b))
	if vkey == "" {
		secret := getenv(settings.AuditSigningSecret)
		if secret == "" {
			return nil, launchpad.Errorf(launchpad.EINVALID, "give --verifier-key (the last line of `audit verifier-key`) or set %s to check the checkpoint's signature", settings.AuditSigningSecret)
		}
		origin, _, _ := strings.Cut(string(msg), "\n")
		if origin, err = auditlog.Origin(origin, ""); err != nil {
			return nil, launchpad.Errorf(launchpad.EINVALID, "the checkpoint file %s does not start with a valid origin line", path)
		}
		signer, err := auditlog.NewSigner([]byte(secret), origin)
		if err != nil {
			return nil, err
		}
		vkey = signer.VerifierKey()
	}
	cp, err := auditlog.OpenCheckpoint(msg, vkey)
	if err != nil {
		return nil, err
	}
	name, rest, _ := strings.Cut(vkey, "+")
	hash, _, _ := strings.Cut(rest, "+")
	return &checkpointFile{Checkpoint: cp, key: name + "+" + hash}, nil
}

// lastNote returns the newest signed note of text: text itself when it holds one, or the last
// of a witness file's notes, each followed by an empty line. A checkpoint's body has no empty
// line, so a note is two blocks — the body and its signature lines — between empty lines.
func lastNote(text string) []byte {
	blocks := strings.Split(strings.TrimRight(text, "\n"), "\n\n")
	if len(blocks) > 2 {
		blocks = blocks[len(blocks)-2:]
	}
	return []byte(strings.Join(blocks, "\n\n") + "\n")
}

// verifyTree rebuilds the log's tree from the events and checks it against the store's tree
// hashes and, when cp is set, that it extends cp. It prints the outcome and returns the exit
// code.
func verifyTree(ctx context.Context, st launchpad.AuditStore, cp *checkpointFile, unindexed int, stdout, stderr io.Writer) int {
	target := auditlog.Checkpoint{}
	if cp != nil {
		target = cp.Checkpoint
	}
	ext, err := auditlog.VerifyExtension(ctx, st, target)
	if err != nil {
		if cp != nil {
			fmt.Fprintf(stderr, "audit: the log does not extend the checkpoint (size %d): %s\n", cp.Size, launchpad.ErrorMessage(err))
		} else {
			fmt.Fprintf(stderr, "audit: the audit tree does not verify: %s\n", launchpad.ErrorMessage(err))
		}
		return 1
	}
	fmt.Fprintf(stdout, "audit: the tree of %d events, rebuilt from them, matches the store's tree hashes (root %s)\n", ext.Size, ext.Root)
	if cp != nil {
		fmt.Fprintf(stdout, "audit: the log is an append-only extension of the checkpoint of %s at size %d, signed by %s\n", cp.Origin, cp.Size, cp.key)
	}
	if unindexed > 0 {
		fmt.Fprintf(stderr, "audit: warning: %d events are not in the tree yet (written before it existed, or by an older binary); no checkpoint covers them until serve starts and places them\n", unindexed)
	}
	return 0
}
