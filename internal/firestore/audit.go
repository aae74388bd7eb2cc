package firestore

import (
	"context"
	"fmt"
	"maps"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// The audit log: each event is launchpad_audit_events/{stream}:{seq, 20 digits}, so one
// stream's events are a range of document names in Seq order (listed with no index but the
// built-in one on names); launchpad_audit_streams/{stream} holds the last Seq and Hash of each
// stream; launchpad_audit_ids/{id} keeps event ids unique. An append creates the event and its
// id reservation and writes the stream head, conditional on the head being unchanged, in one
// commit: concurrent appends to one stream, from any process, still form one chain. The same
// commit gives the event the next leaf index of the log's tree and writes the tree hashes it
// adds (audittree.go), conditional on the tree's head being unchanged.

type auditDoc struct {
	ID       string            `firestore:"id"`
	Stream   string            `firestore:"stream"`
	Seq      int64             `firestore:"seq"`
	Time     *time.Time        `firestore:"time"`
	Actor    string            `firestore:"actor"`
	Action   string            `firestore:"action"`
	Target   string            `firestore:"target"`
	Details  map[string]string `firestore:"details"`
	PrevHash string            `firestore:"prevHash"`
	Hash     string            `firestore:"hash"`
	// LogIndex is the event's leaf index in the tree; absent on events written before the
	// tree existed, until IndexAudit places them.
	LogIndex *int64 `firestore:"logIndex"`
	// Pseudonymised: the event's user was erased (launchpad.AuditEvent.Pseudonymised).
	Pseudonymised bool `firestore:"pseudonymised,omitempty"`
	// Trimmed: the event was archived and its content emptied (launchpad.AuditEvent.Trimmed).
	// Always written, so the retention's query (trimmed == false) finds every new event.
	Trimmed bool `firestore:"trimmed"`
}

type auditStreamDoc struct {
	Stream    string     `firestore:"stream"`
	Seq       int64      `firestore:"seq"`
	Hash      string     `firestore:"hash"`
	UpdatedAt *time.Time `firestore:"updatedAt"`
}

type auditIDDoc struct {
	ID     string `firestore:"id"`
	Stream string `firestore:"stream"`
	Seq    int64  `firestore:"seq"`
}

func toAuditDoc(e *launchpad.AuditEvent) *auditDoc {
	return &auditDoc{
		ID: e.ID, Stream: e.Stream, Seq: e.Seq, Time: ts(e.Time), Actor: e.Actor, Action: e.Action,
		Target: e.Target, Details: maps.Clone(e.Details), PrevHash: e.PrevHash, Hash: e.Hash,
		LogIndex: &e.Index, Pseudonymised: e.Pseudonymised, Trimmed: e.Trimmed,
	}
}

func (d *auditDoc) event() *launchpad.AuditEvent {
	details := maps.Clone(d.Details)
	if details == nil {
		details = map[string]string{}
	}
	index := launchpad.NotIndexed
	if d.LogIndex != nil {
		index = *d.LogIndex
	}
	return &launchpad.AuditEvent{
		ID: d.ID, Stream: d.Stream, Seq: d.Seq, Time: fromTS(d.Time), Actor: d.Actor, Action: d.Action,
		Target: d.Target, Details: details, PrevHash: d.PrevHash, Hash: d.Hash, Index: index,
		Pseudonymised: d.Pseudonymised, Trimmed: d.Trimmed,
	}
}

// auditEventID is the document name of event seq of stream. docID never contains ':' or ';',
// so "{stream}:" is a prefix no other stream's names share, and "{stream};" sorts after all of
// them.
func auditEventID(stream string, seq int64) string {
	return docID(stream) + ":" + fmt.Sprintf("%020d", seq)
}

// AppendAudit assigns e its Seq, PrevHash and Hash within its stream (ID and Time too when
// empty) and stores it with the stream's new head in one conditional commit.
func (s *Store) AppendAudit(ctx context.Context, e *launchpad.AuditEvent) (*launchpad.AuditEvent, error) {
	if err := contract.CheckAudit(e); err != nil {
		return nil, err
	}
	c := *e
	c.Details = maps.Clone(e.Details)
	if c.Details == nil {
		c.Details = map[string]string{}
	}
	if c.ID == "" {
		c.ID = launchpad.NewID(20)
	}
	c.Time = micro(c.Time)
	if c.Time.IsZero() {
		c.Time = s.clock()
	}
	if err := checkUTF8(toAuditDoc(&c)); err != nil {
		return nil, err
	}
	var out *launchpad.AuditEvent
	err := s.atomically(ctx, "append audit event", func(b *batch) error {
		snaps, err := s.getAll(ctx, s.doc(s.col.auditStreams, c.Stream), s.doc(s.col.auditIDs, c.ID), s.treeHead())
		if err != nil {
			return err
		}
		headSnap, idSnap, treeSnap := snaps[0], snaps[1], snaps[2]
		if idSnap.Exists() {
			return taken("audit event", c.ID)
		}
		var head auditStreamDoc
		if headSnap.Exists() {
			if err := headSnap.DataTo(&head); err != nil {
				return err
			}
		}
		ev := c
		ev.Seq, ev.PrevHash = head.Seq+1, head.Hash
		ev.Hash = launchpad.AuditHash(&ev)
		if err := s.addLeaf(ctx, b, treeSnap, []*launchpad.AuditEvent{&ev}); err != nil {
			return err
		}
		doc := toAuditDoc(&ev)
		b.create(s.client.Collection(s.col.auditEvents).Doc(auditEventID(ev.Stream, ev.Seq)), doc)
		b.create(idSnap.Ref, &auditIDDoc{ID: ev.ID, Stream: ev.Stream, Seq: ev.Seq})
		b.put(headSnap, &auditStreamDoc{Stream: ev.Stream, Seq: ev.Seq, Hash: ev.Hash, UpdatedAt: ts(s.clock())})
		out = doc.event()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAudit returns the events f selects: with f.Stream, that stream in Seq order after
// f.AfterSeq; otherwise every stream by time. Since is inclusive; Limit 0 means 100 and at
// most 1000 are returned.
func (s *Store) ListAudit(ctx context.Context, f launchpad.AuditFilter) ([]*launchpad.AuditEvent, error) {
	limit := contract.ListLimit(f.Limit)
	if f.Stream != "" && f.Newest {
		return s.listStreamNewest(ctx, f, limit)
	}
	col := s.client.Collection(s.col.auditEvents)
	var q firestore.Query
	if f.Stream != "" {
		// A stream is a range of document names, read in Seq order. Since filters in memory:
		// a stream's times need not follow its Seq.
		q = col.OrderBy(firestore.DocumentID, firestore.Asc).
			StartAt(auditEventID(f.Stream, max(f.AfterSeq, 0)+1)).EndBefore(docID(f.Stream) + ";")
		if f.Since.IsZero() {
			q = q.Limit(limit)
		}
	} else {
		dir := firestore.Asc
		if f.Newest {
			dir = firestore.Desc
		}
		q = col.OrderBy("time", dir)
		if !f.Since.IsZero() {
			q = q.Where("time", ">=", ceilMicro(f.Since))
		}
		q = q.Limit(limit)
	}
	out := []*launchpad.AuditEvent{}
	err := s.scanAudit(ctx, q, func(e *launchpad.AuditEvent) bool {
		if f.Since.IsZero() || !e.Time.Before(f.Since) {
			out = append(out, e)
		}
		return len(out) < limit
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listStreamNewest lists one stream newest first. The emulator cannot scan document names
// backwards, so it reads windows of Seq numbers below the stream's head, each in Seq order.
func (s *Store) listStreamNewest(ctx context.Context, f launchpad.AuditFilter, limit int) ([]*launchpad.AuditEvent, error) {
	headSnap, err := s.get(ctx, s.doc(s.col.auditStreams, f.Stream))
	if err != nil {
		return nil, storeError(err, "read audit stream head")
	}
	out := []*launchpad.AuditEvent{}
	if !headSnap.Exists() {
		return out, nil
	}
	var head auditStreamDoc
	if err := headSnap.DataTo(&head); err != nil {
		return nil, storeError(err, "decode audit stream head")
	}
	low := max(f.AfterSeq, 0) + 1
	for high := head.Seq; high >= low && len(out) < limit; {
		from := max(low, high-int64(limit)+1)
		q := s.client.Collection(s.col.auditEvents).OrderBy(firestore.DocumentID, firestore.Asc).
			StartAt(auditEventID(f.Stream, from)).EndAt(auditEventID(f.Stream, high))
		var window []*launchpad.AuditEvent
		if err := s.scanAudit(ctx, q, func(e *launchpad.AuditEvent) bool { window = append(window, e); return true }); err != nil {
			return nil, err
		}
		for i := len(window) - 1; i >= 0 && len(out) < limit; i-- {
			if f.Since.IsZero() || !window[i].Time.Before(f.Since) {
				out = append(out, window[i])
			}
		}
		high = from - 1
	}
	return out, nil
}

// scanAudit runs q and passes each event to fn until fn returns false.
func (s *Store) scanAudit(ctx context.Context, q firestore.Query, fn func(*launchpad.AuditEvent) bool) error {
	it := q.Documents(ctx)
	defer it.Stop()
	for {
		snap, err := it.Next()
		if err == iterator.Done {
			return nil
		}
		if err != nil {
			return storeError(err, "list audit events")
		}
		var d auditDoc
		if err := snap.DataTo(&d); err != nil {
			return storeError(err, "decode audit event")
		}
		if !fn(d.event()) {
			return nil
		}
	}
}

// ceilMicro rounds t up to the microsecond: stored times have microseconds, so a stored time
// is at or after t exactly when it is at or after ceilMicro(t).
func ceilMicro(t time.Time) time.Time {
	c := t.UTC().Truncate(time.Microsecond)
	if c.Before(t) {
		c = c.Add(time.Microsecond)
	}
	return c
}
