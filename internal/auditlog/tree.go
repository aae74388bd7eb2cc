package auditlog

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// pageSize is how many events Rebuild reads per store call.
const pageSize = 1000

// Tree is a Merkle tree held in memory: every stored hash, in stored-hash order. The verifier
// rebuilds one from the events themselves, so it trusts nothing the store says about hashes.
type Tree struct {
	hashes []tlog.Hash
	size   int64
}

// Size is the number of leaves.
func (t *Tree) Size() int64 { return t.size }

// Add appends e as the next leaf.
func (t *Tree) Add(e *launchpad.AuditEvent) error {
	hs, err := tlog.StoredHashes(t.size, launchpad.AuditLeaf(e), t.Reader())
	if err != nil {
		return err
	}
	t.hashes = append(t.hashes, hs...)
	t.size++
	return nil
}

// Reader reads the tree's stored hashes.
func (t *Tree) Reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(t.hashes)) {
				return nil, fmt.Errorf("stored hash %d is not in a tree of %d leaves", x, t.size)
			}
			out[i] = t.hashes[x]
		}
		return out, nil
	})
}

// Root is the tree hash at size n (at most Size).
func (t *Tree) Root(n int64) (tlog.Hash, error) {
	return tlog.TreeHash(n, t.Reader())
}

// Rebuild reads every event in the tree from st, in index order, and builds the tree from the
// events' own fields. It fails, naming the index, when an index is missing (an event was
// deleted) or out of order.
func Rebuild(ctx context.Context, st launchpad.AuditStore) (*Tree, error) {
	t := &Tree{}
	for {
		page, err := st.ListAuditLog(ctx, t.size, pageSize)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.Index != t.size {
				return nil, launchpad.Errorf(launchpad.EINVALID, "the audit log has no event at index %d (the next one stored is %d, event %s): an event was removed", t.size, e.Index, e.ID)
			}
			if err := t.Add(e); err != nil {
				return nil, err
			}
		}
		if len(page) < pageSize {
			return t, nil
		}
	}
}

// StoreReader reads a store's stored hashes as a tlog.HashReader.
func StoreReader(ctx context.Context, st launchpad.AuditStore) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) { return st.ReadAuditHashes(ctx, indexes) })
}
