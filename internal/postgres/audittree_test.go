package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
)

// Events stored before the tree existed (log_index NULL, as migration 0003 leaves them, and as
// an older binary appends them during a rolling deploy) are placed by IndexAudit after the
// ones already in the tree, oldest first; the index, once set, cannot be changed.
func TestIndexAuditPlacesOlderEvents(t *testing.T) {
	ctx := t.Context()
	url := freshURL(t)
	db := openStore(t, url, postgres.Options{})
	for range 2 {
		if _, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "new", Action: launchpad.AuditSignIn}); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := ""
	for seq := int64(1); seq <= 3; seq++ {
		e := &launchpad.AuditEvent{ID: fmt.Sprintf("old-%d", seq), Stream: "old", Seq: seq, Time: base.Add(time.Duration(seq) * time.Minute),
			Actor: launchpad.ActorSystem, Action: launchpad.AuditPlanChanged, Details: map[string]string{}, PrevHash: prev}
		e.Hash = launchpad.AuditHash(e)
		prev = e.Hash
		execSQL(t, url, `INSERT INTO audit_events (stream, seq, id, time, actor, action, target, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, '', '{}', $7, $8)`,
			e.Stream, e.Seq, e.ID, e.Time, e.Actor, e.Action, e.PrevHash, e.Hash)
	}
	if got, err := db.GetAudit(ctx, "old-1"); err != nil || got.Index != launchpad.NotIndexed {
		t.Fatalf("an event without an index reads as %+v, %v; want Index NotIndexed", got, err)
	}
	storetest.CheckAuditTree(t, db, 2)
	if size, err := db.IndexAudit(ctx); err != nil || size != 5 {
		t.Fatalf("IndexAudit = %d, %v; want 5", size, err)
	}
	for seq, want := range []int64{2, 3, 4} {
		if got, _ := db.GetAudit(ctx, fmt.Sprintf("old-%d", seq+1)); got == nil || got.Index != want {
			t.Fatalf("old-%d got index %v, want %d", seq+1, got, want)
		}
	}
	storetest.CheckAuditTree(t, db, 5)
	if size, err := db.IndexAudit(ctx); err != nil || size != 5 {
		t.Fatalf("a second IndexAudit = %d, %v", size, err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, stmt := range []string{`UPDATE audit_events SET log_index = 9 WHERE id = 'old-1'`, `UPDATE audit_events SET log_index = NULL WHERE id = 'old-1'`,
		`UPDATE audit_events SET actor = 'forged' WHERE id = 'old-1'`, `DELETE FROM audit_tree`, `TRUNCATE audit_tree`, `UPDATE audit_tree SET hash = hash`} {
		if _, err := conn.Exec(ctx, stmt); err == nil {
			t.Errorf("%s was allowed", stmt)
		}
	}
}
