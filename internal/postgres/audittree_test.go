package postgres_test

import (
	"context"
	"testing"

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
	older := storetest.OlderAuditEvents(3)
	for _, e := range older {
		execSQL(t, url, `INSERT INTO audit_events (stream, seq, id, time, actor, action, target, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, '', '{}', $7, $8)`,
			e.Stream, e.Seq, e.ID, e.Time, e.Actor, e.Action, e.PrevHash, e.Hash)
	}
	storetest.CheckIndexAudit(t, db, 2, older)
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
