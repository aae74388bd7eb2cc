package auditlog

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Extension is what VerifyExtension proved: the tree of Size events rebuilt from the store
// extends the checkpoint.
type Extension struct {
	Checkpoint Checkpoint
	Size       int64
	Root       tlog.Hash
}

// VerifyExtension proves that the log in st is an append-only extension of cp (a checkpoint
// already verified with OpenCheckpoint). It rebuilds the tree from the events themselves —
// trusting no stored hash — then checks a consistency proof (tlog.ProveTree / CheckTree) from
// cp's size to the current size, and finally that the store's own tree hashes agree with the
// events, since those are what inclusion proofs are served from. EINVALID, naming what was
// found, when events were removed, rewritten or the stored hashes were tampered with.
func VerifyExtension(ctx context.Context, st launchpad.AuditStore, cp Checkpoint) (*Extension, error) {
	tree, err := Rebuild(ctx, st)
	if err != nil {
		return nil, err
	}
	n := tree.Size()
	if n < cp.Size {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the audit log holds %d events, but the checkpoint signed %d: the newest %d were removed (the log was truncated)", n, cp.Size, cp.Size-n)
	}
	root, err := tree.Root(n)
	if err != nil {
		return nil, err
	}
	if cp.Size > 0 {
		proof, err := tlog.ProveTree(n, cp.Size, tree.Reader())
		if err != nil {
			return nil, err
		}
		if err := tlog.CheckTree(proof, n, root, cp.Size, cp.Root); err != nil {
			return nil, launchpad.Errorf(launchpad.EINVALID, "the audit log is not an extension of the checkpoint: the first %d events, rebuilt from the store, do not give the signed root hash, so at least one of them was changed, removed or reordered after the checkpoint was signed", cp.Size)
		}
	}
	storedSize, err := st.AuditTreeSize(ctx)
	if err != nil {
		return nil, err
	}
	if storedSize != n {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the store says its audit tree has %d leaves, but %d events are in it: the store was altered", storedSize, n)
	}
	if n > 0 {
		stored, err := tlog.TreeHash(n, StoreReader(ctx, st))
		if err != nil {
			return nil, launchpad.Errorf(launchpad.EINVALID, "the store's audit tree hashes cannot be read back (%s): the store was altered", launchpad.ErrorMessage(err))
		}
		if stored != root {
			return nil, launchpad.Errorf(launchpad.EINVALID, "the store's audit tree hashes do not match its events: the store was altered (the events extend the checkpoint, but proofs served from the stored hashes would not verify)")
		}
	}
	return &Extension{Checkpoint: cp, Size: n, Root: root}, nil
}
