package auditlog

import (
	"context"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Log serves signed checkpoints and inclusion proofs of a store's audit tree. The root of a
// given size never changes, so it signs each size once and then answers it from memory: the
// checkpoint endpoint is public, and a flood of requests costs one cheap size read each.
type Log struct {
	store  launchpad.AuditStore
	signer *Signer

	mu     sync.Mutex
	cached *Signed
}

// Signed is a checkpoint and its signed note.
type Signed struct {
	Checkpoint Checkpoint
	Note       []byte
}

// NewLog serves st's tree, signed by signer.
func NewLog(st launchpad.AuditStore, signer *Signer) *Log {
	return &Log{store: st, signer: signer}
}

// Signer is the log's signer.
func (l *Log) Signer() *Signer { return l.signer }

// Checkpoint signs the tree as the store holds it now.
func (l *Log) Checkpoint(ctx context.Context) (*Signed, error) {
	size, err := l.store.AuditTreeSize(ctx)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cached != nil && l.cached.Checkpoint.Size == size {
		return l.cached, nil
	}
	// Stored hashes are written once, so the root of size is the same whatever was appended
	// since the size was read.
	root, err := tlog.TreeHash(size, StoreReader(ctx, l.store))
	if err != nil {
		return nil, err
	}
	cp := Checkpoint{Origin: l.signer.Origin(), Size: size, Root: root}
	msg, err := l.signer.Sign(cp)
	if err != nil {
		return nil, err
	}
	l.cached = &Signed{Checkpoint: cp, Note: msg}
	return l.cached, nil
}

// Inclusion is the proof that an event is leaf Index of the tree a signed checkpoint pins.
type Inclusion struct {
	Index    int64
	LeafHash tlog.Hash
	Proof    tlog.RecordProof
	Signed   *Signed
}

// Prove returns the inclusion proof of e (as the store returned it) in the latest checkpoint.
// EUNAVAILABLE while e is not in the tree yet (an event written before the tree existed,
// until serve indexes it).
func (l *Log) Prove(ctx context.Context, e *launchpad.AuditEvent) (*Inclusion, error) {
	signed, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if e.Index == launchpad.NotIndexed || e.Index >= signed.Checkpoint.Size {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "audit event %s is not in a signed checkpoint yet; try again in a few seconds", e.ID)
	}
	proof, err := tlog.ProveRecord(signed.Checkpoint.Size, e.Index, StoreReader(ctx, l.store))
	if err != nil {
		return nil, err
	}
	return &Inclusion{Index: e.Index, LeafHash: tlog.RecordHash(launchpad.AuditLeaf(e)), Proof: proof, Signed: signed}, nil
}
