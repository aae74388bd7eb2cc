package purge

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/export"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The audit class. Audit events older than the retention are written to an archive file,
// each with its inclusion proof against the newest signed checkpoint, and only once that file
// is safely on disk are they trimmed in the store (launchpad.AuditTrimStore): their content
// is emptied, their hashes stay, so the chains and the tree still verify and the archive
// proves what each trimmed event said. A crash between the two leaves the events untrimmed;
// the next pass writes the same archive again (same name, same events) and trims them.

// AuditArchiveFormat names the layout of an archive file.
const AuditArchiveFormat = "launchpad-audit-archive-v1"

// auditBatch bounds the events one archive file holds; auditBatches bounds the files one pass
// writes (the next pass goes on).
const (
	auditBatch   = 500
	auditBatches = 20
)

// AuditArchive is one archive file: the signed checkpoint every proof in it is against, and
// the archived events in full.
type AuditArchive struct {
	Format     string          `json:"format"`
	ArchivedAt time.Time       `json:"archived_at"`
	Checkpoint string          `json:"checkpoint"`
	Events     []ArchivedEvent `json:"events"`
}

// ArchivedEvent is an audit event as it was before the trim, with the proof that it is leaf
// Index of the checkpoint's tree (golang.org/x/mod/sumdb/tlog.CheckRecord verifies it).
type ArchivedEvent struct {
	ID     string `json:"id"`
	Stream string `json:"stream"`
	export.EventFields
	Index         int64         `json:"index"`
	Pseudonymised bool          `json:"pseudonymised,omitempty"`
	Proof         *export.Proof `json:"proof"`
}

// trimAudit archives and trims, in batches, the audit events written before before.
func (p *Purger) trimAudit(ctx context.Context, before time.Time) (int64, error) {
	if p.d.AuditLog == nil || p.d.Config.AuditArchiveDir == "" {
		return 0, launchpad.Errorf(launchpad.EINVALID, "trimming the audit log needs the signed log and an archive directory (LAUNCHPAD_AUDIT_ARCHIVE_DIR)")
	}
	var total int64
	for range auditBatches {
		events, err := p.d.Store.ListAuditToTrim(ctx, before, auditBatch)
		if err != nil || len(events) == 0 {
			return total, err
		}
		archive, err := p.archiveOf(ctx, events)
		if err != nil || len(archive.Events) == 0 {
			return total, err // nothing provable yet: the checkpoint does not cover the oldest event
		}
		if err := writeArchive(p.d.Config.AuditArchiveDir, archive); err != nil {
			return total, err
		}
		ids := make([]string, len(archive.Events))
		for i, e := range archive.Events {
			ids[i] = e.ID
		}
		n, err := p.d.Store.TrimAudit(ctx, ids)
		total += int64(n)
		if err != nil || len(archive.Events) < auditBatch {
			return total, err
		}
	}
	return total, nil
}

// archiveOf proves events, oldest first, against the newest signed checkpoint; it stops at the
// first event the checkpoint does not cover yet.
func (p *Purger) archiveOf(ctx context.Context, events []*launchpad.AuditEvent) (*AuditArchive, error) {
	signed, err := p.d.AuditLog.Checkpoint(ctx)
	if err != nil {
		return nil, launchpad.Wrapf(err, "signing a checkpoint for the audit archive")
	}
	a := &AuditArchive{Format: AuditArchiveFormat, ArchivedAt: p.d.Now().UTC(), Checkpoint: string(signed.Note)}
	hashes := auditlog.StoreReader(ctx, p.d.Store)
	for _, e := range events {
		if e.Index == launchpad.NotIndexed || e.Index >= signed.Checkpoint.Size {
			break
		}
		proof, err := tlog.ProveRecord(signed.Checkpoint.Size, e.Index, hashes)
		if err != nil {
			return nil, launchpad.Wrapf(err, "proving audit event %s", e.ID)
		}
		inc := &auditlog.Inclusion{Index: e.Index, LeafHash: tlog.RecordHash(launchpad.AuditLeaf(e)), Proof: proof, Signed: signed}
		a.Events = append(a.Events, ArchivedEvent{ID: e.ID, Stream: e.Stream, EventFields: export.FieldsOf(e),
			Index: e.Index, Pseudonymised: e.Pseudonymised, Proof: export.ProofOf(inc)})
	}
	return a, nil
}

// writeArchive writes a to dir under a name its first event fixes (so a rerun after a crash
// replaces the file rather than adding one): to a temporary file first, synced, then renamed,
// and the directory synced, so the file is whole and durable before anything is trimmed.
func writeArchive(dir string, a *AuditArchive) (err error) {
	first := a.Events[0]
	name := "audit-" + first.Time.Format("20060102T150405.000000Z") + "-" + first.ID + ".json"
	tmp, err := os.CreateTemp(dir, ".audit-*.tmp")
	if err != nil {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "writing the audit archive in %s: %v", dir, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	enc := json.NewEncoder(tmp)
	enc.SetIndent("", " ")
	if err = enc.Encode(a); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "writing the audit archive %s in %s: %v", name, dir, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
