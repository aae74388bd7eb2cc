package sqlite_test

import (
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// openTemp opens a store on a new file in a temporary directory, closed when t ends.
func openTemp(t *testing.T, opts sqlite.Options) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "launchpad.db")
	db, err := sqlite.Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

func TestConformance(t *testing.T) {
	var ran atomic.Int64
	storetest.Run(t, func(t *testing.T) launchpad.Store {
		ran.Add(1)
		db, _ := openTemp(t, sqlite.Options{})
		return db
	})
	t.Logf("conformance: %d of %d cases ran on sqlite", ran.Load(), storetest.Count())
}
