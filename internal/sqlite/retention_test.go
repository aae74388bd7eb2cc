package sqlite_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// TestPurgeLeavesNoBytesInTheFiles: erased means unreadable in the store's files, not only
// unlisted. A payload large enough to spill into overflow pages and a session are erased;
// neither their bytes nor the payload's are left in the database file, its write-ahead log
// or its shared memory, with the store still open (no close-time checkpoint helps).
func TestPurgeLeavesNoBytesInTheFiles(t *testing.T) {
	ctx := t.Context()
	db, path := sqlitetest.Open(t, sqlite.Options{})
	address := "7 Erasable Gardens, Purgeton"
	big := []byte(`{"customer_details":{"name":"Grace Erased-Hopper","address":"` + strings.Repeat(address+"; ", 2000) + `"}}`)
	if _, err := db.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: "evt_big", Payload: big, ReceivedAt: base}, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(ctx, &launchpad.Session{ID: "s1", UserID: "u1", FamilyID: "f1", TokenHash: "tok", UserAgent: "Agent-Of-Erased-Device/1.0",
		CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Grace Erased-Hopper", address, "Agent-Of-Erased-Device/1.0"}
	if len(sqlitetest.FilesHolding(t, path, secrets...)) == 0 {
		t.Fatal("the store's files do not hold the data before the purge; the check would prove nothing")
	}

	if n, err := db.PurgeStripePayloads(ctx, base.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("PurgeStripePayloads = %d, %v; want 1", n, err)
	}
	if n, err := db.PurgeSessions(ctx, base.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("PurgeSessions = %d, %v; want 1", n, err)
	}
	if held := sqlitetest.FilesHolding(t, path, secrets...); len(held) > 0 {
		t.Fatalf("after the purge the store's files still hold: %s", strings.Join(held, "; "))
	}
}
