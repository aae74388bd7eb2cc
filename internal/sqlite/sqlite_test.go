package sqlite_test

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

func TestConformance(t *testing.T) {
	var tally storetest.Tally
	tally.Run(t, "sqlite", func(t *testing.T) launchpad.Store {
		db, _ := sqlitetest.Open(t, sqlite.Options{})
		return db
	})
}
