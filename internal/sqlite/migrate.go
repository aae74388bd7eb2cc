package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The schema is a sequence of embedded migrations, migrations/NNNN_name.sql, numbered from
// 0001 without gaps. The number of migrations applied is PRAGMA user_version, bumped in the
// same BEGIN IMMEDIATE transaction as the migration itself, so that two processes opening one
// file at once apply each migration exactly once. PRAGMA application_id marks the file as
// Launchpad's, so a database of another program is refused instead of altered.
//
// Plain embedded migrations rather than goose: goose keeps its version in a table of its own
// and cannot check application_id, and the store needs neither down-migrations nor Go
// migrations.

//go:embed migrations/*.sql
var migrationFS embed.FS

// applicationID is "LPAD" in ASCII, stored in the database header.
const applicationID = 0x4C504144

// loadMigrations returns the embedded migration scripts in order; migration i brings the
// schema from version i to i+1.
func loadMigrations() ([]string, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	scripts := make([]string, 0, len(names))
	for i, name := range names {
		base := path.Base(name)
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || n != i+1 {
			return nil, fmt.Errorf("sqlite: migration %s is out of sequence: want number %04d", base, i+1)
		}
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, string(b))
	}
	return scripts, nil
}

// migrate checks that the database at path is Launchpad's (or empty), switches it to WAL and
// applies the migrations it lacks, one transaction each. A foreign file is refused before
// anything is written to it.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	scripts, err := loadMigrations()
	if err != nil {
		return err
	}
	var appID, objects int
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return openError(ctx, path, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&objects); err != nil {
		return openError(ctx, path, err)
	}
	if err := checkApplicationID(path, appID, objects); err != nil {
		return err
	}
	// WAL lets readers and the writer proceed together; the mode is kept in the file.
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode = WAL`); err != nil {
		return openError(ctx, path, err)
	}
	for {
		done, err := migrateOne(ctx, db, path, scripts)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next missing migration, if any, in one BEGIN IMMEDIATE transaction.
// The version is read after BEGIN IMMEDIATE took the write lock, so a migration another
// process applied meanwhile is seen and not repeated.
func migrateOne(ctx context.Context, db *sql.DB, path string, scripts []string) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, openError(ctx, path, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op; before, the error that ended the transaction is returned

	var appID, version, objects int
	if err := tx.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return false, openError(ctx, path, err)
	}
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return false, openError(ctx, path, err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&objects); err != nil {
		return false, openError(ctx, path, err)
	}
	if err := checkApplicationID(path, appID, objects); err != nil {
		return false, err
	}
	switch {
	case version > len(scripts):
		return false, launchpad.Errorf(launchpad.EINVALID, "%s has schema version %d, newer than this binary knows (%d): use a newer terraform-provider-launchpad", path, version, len(scripts))
	case version == len(scripts):
		return true, nil
	}

	if _, err := tx.ExecContext(ctx, scripts[version]); err != nil {
		return false, fmt.Errorf("sqlite: migration %04d on %s: %w", version+1, path, err)
	}
	// PRAGMA takes no parameters; both values are integers of this program.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d; PRAGMA application_id = %d`, version+1, applicationID)); err != nil {
		return false, fmt.Errorf("sqlite: recording schema version %d on %s: %w", version+1, path, err)
	}
	if err := tx.Commit(); err != nil {
		return false, openError(ctx, path, err)
	}
	return version+1 == len(scripts), nil
}

// checkApplicationID refuses a database that another program made: one whose application_id
// is not Launchpad's, unless it is a new, empty file.
func checkApplicationID(path string, appID, objects int) error {
	if appID == applicationID || (appID == 0 && objects == 0) {
		return nil
	}
	return launchpad.Errorf(launchpad.EINVALID, "%s is not a Launchpad database (it belongs to another program: application_id %#x, %d schema objects); it was left untouched: point LAUNCHPAD_STORE at a new path", path, appID, objects)
}

// openError reports a failure to open or read the database at path, naming the file.
func openError(ctx context.Context, path string, err error) error {
	err = formatError(ctx, err)
	if launchpad.ErrorCode(err) == launchpad.EINTERNAL {
		return fmt.Errorf("opening the SQLite store %s: %w", path, err)
	}
	return launchpad.Wrapf(err, "opening the SQLite store %s", path)
}
