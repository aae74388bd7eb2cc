package sqlite_test

import (
	"database/sql"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// Events stored before the tree existed (log_index NULL, as the migration leaves them) are
// placed by IndexAudit after the ones already in the tree, oldest first; a second run changes
// nothing, and the index, once set, cannot be changed.
func TestIndexAuditPlacesOlderEvents(t *testing.T) {
	ctx := t.Context()
	db, path := sqlitetest.Open(t, sqlite.Options{})
	for range 2 {
		if _, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "new", Action: launchpad.AuditSignIn}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	older := storetest.OlderAuditEvents(3)
	for _, e := range older {
		if _, err := raw.Exec(`INSERT INTO audit_events (stream, seq, id, time, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, '', '{}', ?, ?)`,
			e.Stream, e.Seq, e.ID, e.Time.UnixMicro(), e.Actor, e.Action, e.PrevHash, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	storetest.CheckIndexAudit(t, db, 2, older)
	for _, stmt := range []string{`UPDATE audit_events SET log_index = 9 WHERE id = 'old-1'`, `UPDATE audit_events SET log_index = NULL WHERE id = 'old-1'`,
		`UPDATE audit_events SET actor = 'forged' WHERE id = 'old-1'`, `DELETE FROM audit_tree`, `UPDATE audit_tree SET hash = hash`} {
		if _, err := raw.Exec(stmt); err == nil {
			t.Errorf("%s was allowed", stmt)
		}
	}
}
