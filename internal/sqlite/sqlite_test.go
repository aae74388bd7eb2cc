package sqlite_test

import (
	"sync/atomic"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

func TestConformance(t *testing.T) {
	var ran atomic.Int64
	storetest.Run(t, func(t *testing.T) launchpad.Store {
		ran.Add(1)
		db, _ := sqlitetest.Open(t, sqlite.Options{})
		return db
	})
	t.Logf("conformance: %d of %d cases ran on sqlite", ran.Load(), storetest.Count())
}
