package firestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// Terraform state is up to MaxStateSize (8 MiB); a Firestore document is at most 1 MiB and a
// request at most 10 MiB (4 MiB on the emulator). So a state is a head document
// (launchpad_states/{workspace}) naming its chunks, which live in the head's sub-collection
// "chunks" under a name unique to the write that made them ("{writeId}-{index}").
//
// PutState first writes the new chunks in commits of at most stateChunksPerCommit chunks, where
// no reader looks, then switches the head to them in one commit that is conditional on the head
// being unchanged since it was read and deletes the old chunks. So the new state appears at
// once and whole, concurrent writers cannot mix their chunks, and a writer that loses (or
// crashes before its last commit) leaves only unreferenced chunks, which it deletes when it can.
const (
	stateChunkSize       = 896 << 10
	stateChunksPerCommit = 3
)

type stateHeadDoc struct {
	Workspace string     `firestore:"workspace"`
	Version   int64      `firestore:"version"`
	Size      int64      `firestore:"size"`
	SHA256    string     `firestore:"sha256"`
	WriteID   string     `firestore:"writeId"`
	Chunks    int64      `firestore:"chunks"`
	UpdatedAt *time.Time `firestore:"updatedAt"`
}

type stateChunkDoc struct {
	WriteID string `firestore:"writeId"`
	Index   int64  `firestore:"index"`
	Data    []byte `firestore:"data"`
}

func (s *Store) stateHeadRef(workspace string) *firestore.DocumentRef {
	return s.doc(s.col.states, workspace)
}

func (s *Store) stateChunkRef(workspace, writeID string, index int64) *firestore.DocumentRef {
	return s.stateHeadRef(workspace).Collection("chunks").Doc(fmt.Sprintf("%s-%04d", writeID, index))
}

// GetState returns the workspace's Terraform state, or ENOTFOUND. The chunks are checked
// against the head's size and SHA-256; a read that raced with a PutState reads again.
func (s *Store) GetState(ctx context.Context, workspace string) (*launchpad.StateBlob, error) {
	for range maxAttempts {
		head, err := s.get(ctx, s.stateHeadRef(workspace))
		if err != nil {
			return nil, storeError(err, "get Terraform state")
		}
		if !head.Exists() {
			return nil, launchpad.Errorf(launchpad.ENOTFOUND, "workspace %q has no Terraform state", launchpad.Clip(workspace, 200))
		}
		var h stateHeadDoc
		if err := head.DataTo(&h); err != nil {
			return nil, storeError(err, "decode Terraform state head")
		}
		refs := make([]*firestore.DocumentRef, h.Chunks)
		for i := range refs {
			refs[i] = s.stateChunkRef(workspace, h.WriteID, int64(i))
		}
		data, complete, err := s.readChunks(ctx, refs)
		if err != nil {
			return nil, err
		}
		if !complete {
			continue // replaced by a PutState after the head was read
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != h.Size || hex.EncodeToString(sum[:]) != h.SHA256 {
			return nil, fmt.Errorf("firestore: the Terraform state of workspace %q does not match its checksum (version %d)", workspace, h.Version)
		}
		return &launchpad.StateBlob{Workspace: workspace, Data: data, Version: h.Version, UpdatedAt: fromTS(h.UpdatedAt)}, nil
	}
	return nil, launchpad.Errorf(launchpad.ECONFLICT, "the Terraform state of workspace %q changed too often while it was read; try again", launchpad.Clip(workspace, 200))
}

// readChunks returns the chunks' data in order; complete is false if one is missing.
func (s *Store) readChunks(ctx context.Context, refs []*firestore.DocumentRef) (data []byte, complete bool, err error) {
	data = []byte{}
	for start := 0; start < len(refs); start += stateChunksPerCommit {
		snaps, err := s.getAll(ctx, refs[start:min(start+stateChunksPerCommit, len(refs))]...)
		if err != nil {
			return nil, false, storeError(err, "read Terraform state")
		}
		for _, snap := range snaps {
			if !snap.Exists() {
				return nil, false, nil
			}
			var c stateChunkDoc
			if err := snap.DataTo(&c); err != nil {
				return nil, false, storeError(err, "decode Terraform state chunk")
			}
			data = append(data, c.Data...)
		}
	}
	return data, true, nil
}

// PutState stores b.Data for b.Workspace and returns the new version. With a non-zero
// b.Version the stored version must equal it (ECONFLICT otherwise). EINVALID over
// MaxStateSize.
func (s *Store) PutState(ctx context.Context, b *launchpad.StateBlob) (int64, error) {
	if len(b.Data) > launchpad.MaxStateSize {
		return 0, contract.StateTooLarge(launchpad.Clip(b.Workspace, 200), len(b.Data))
	}
	ws, want := b.Workspace, b.Version
	var chunks [][]byte
	for rest := b.Data; len(rest) > 0; rest = rest[min(stateChunkSize, len(rest)):] {
		chunks = append(chunks, rest[:min(stateChunkSize, len(rest))])
	}
	sum := sha256.Sum256(b.Data)

	if want != 0 {
		// Check the version before writing chunks, so a stale writer fails fast.
		if _, err := s.stateHeadFor(ctx, ws, want); err != nil {
			return 0, err
		}
	}
	writeID := launchpad.NewID(16)
	for start := 0; start < len(chunks); start += stateChunksPerCommit {
		err := s.atomically(ctx, "write Terraform state chunks", func(bt *batch) error {
			for i := start; i < min(start+stateChunksPerCommit, len(chunks)); i++ {
				bt.set(s.stateChunkRef(ws, writeID, int64(i)), &stateChunkDoc{WriteID: writeID, Index: int64(i), Data: chunks[i]})
			}
			return nil
		})
		if err != nil {
			s.deleteChunks(ws, writeID, int64(len(chunks)))
			return 0, err
		}
	}

	var version int64
	err := s.atomically(ctx, "switch Terraform state", func(bt *batch) error {
		head, err := s.stateHeadFor(ctx, ws, want)
		if err != nil {
			return err
		}
		var old stateHeadDoc
		if head.Exists() {
			if err := head.DataTo(&old); err != nil {
				return err
			}
		}
		for i := range old.Chunks {
			bt.delete(s.stateChunkRef(ws, old.WriteID, i))
		}
		version = old.Version + 1
		bt.put(head, &stateHeadDoc{
			Workspace: ws, Version: version, Size: int64(len(b.Data)), SHA256: hex.EncodeToString(sum[:]),
			WriteID: writeID, Chunks: int64(len(chunks)), UpdatedAt: ts(s.clock()),
		})
		return nil
	})
	if err != nil {
		s.deleteChunks(ws, writeID, int64(len(chunks)))
		return 0, err
	}
	return version, nil
}

// stateHeadFor reads the state head of ws and checks it is at version want (any version when
// want is 0): ECONFLICT otherwise.
func (s *Store) stateHeadFor(ctx context.Context, ws string, want int64) (*firestore.DocumentSnapshot, error) {
	head, err := s.get(ctx, s.stateHeadRef(ws))
	if err != nil {
		return nil, storeError(err, "read Terraform state head")
	}
	if want == 0 {
		return head, nil
	}
	var h stateHeadDoc
	if head.Exists() {
		if err := head.DataTo(&h); err != nil {
			return nil, storeError(err, "decode Terraform state head")
		}
	}
	if h.Version != want {
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "the Terraform state of workspace %q is at version %d, not %d: it changed since it was read; read it again", launchpad.Clip(ws, 200), h.Version, want)
	}
	return head, nil
}

// deleteChunks removes the chunks of a write that did not become the state, best effort: they
// are not referenced, and a failure here only leaves garbage behind. It uses its own context
// so that a caller's cancelled one still cleans up.
func (s *Store) deleteChunks(ws, writeID string, n int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.atomically(ctx, "delete unused Terraform state chunks", func(bt *batch) error {
		for i := range n {
			bt.delete(s.stateChunkRef(ws, writeID, i))
		}
		return nil
	})
}

// DeleteState removes the workspace's state, or returns ENOTFOUND.
func (s *Store) DeleteState(ctx context.Context, workspace string) error {
	return s.atomically(ctx, "delete Terraform state", func(bt *batch) error {
		head, err := s.get(ctx, s.stateHeadRef(workspace))
		if err != nil {
			return err
		}
		if !head.Exists() {
			return launchpad.Errorf(launchpad.ENOTFOUND, "workspace %q has no Terraform state", launchpad.Clip(workspace, 200))
		}
		var h stateHeadDoc
		if err := head.DataTo(&h); err != nil {
			return err
		}
		for i := range h.Chunks {
			bt.delete(s.stateChunkRef(workspace, h.WriteID, i))
		}
		bt.remove(head)
		return nil
	})
}
