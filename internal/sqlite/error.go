package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// formatError turns driver errors into coded launchpad errors: a lock held longer than the
// busy timeout, a full disk or an I/O error is EUNAVAILABLE (retrying may help); a UNIQUE
// violation no method anticipated is ECONFLICT. Coded errors and errors of callers' functions
// pass through unchanged, and anything else stays uncoded (EINTERNAL to callers, with details
// for the logs).
func formatError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var coded *launchpad.Error
	if errors.As(err, &coded) {
		return err
	}
	deadline := launchpad.Errorf(launchpad.EUNAVAILABLE, "the SQLite store did not answer before the deadline; retry")
	if errors.Is(err, context.DeadlineExceeded) {
		return deadline
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_INTERRUPT:
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return deadline
		}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the SQLite database is locked by another writer for longer than the busy timeout; retry")
	case sqlite3.SQLITE_FULL:
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the disk holding the SQLite database is full; free space and retry")
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the SQLite database cannot be written (%s); check the file, its directory and the disk", sqlite.ErrorCodeString[se.Code()&0xff])
	case sqlite3.SQLITE_NOTADB:
		return launchpad.Errorf(launchpad.EINVALID, "the file is not a SQLite database; point LAUNCHPAD_STORE at a new path")
	case sqlite3.SQLITE_CONSTRAINT:
		if what := uniqueViolation(err); what != "" {
			return launchpad.Errorf(launchpad.ECONFLICT, "%s is already taken", what)
		}
		// NOT NULL, CHECK, a value of the wrong type (NaN for a number): the record is wrong.
		// SQLite's message names the column, never a value.
		return launchpad.Errorf(launchpad.EINVALID, "the record cannot be stored: %s", strings.TrimPrefix(se.Error(), "constraint failed: "))
	}
	return fmt.Errorf("sqlite: %w", err)
}

// uniqueViolation returns the columns of the UNIQUE or PRIMARY KEY constraint err violated,
// as SQLite names them ("users.email"), or "" for any other error.
func uniqueViolation(err error) string {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	if c := se.Code(); c != sqlite3.SQLITE_CONSTRAINT_UNIQUE && c != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return ""
	}
	const marker = "UNIQUE constraint failed: "
	msg := se.Error()
	i := strings.Index(msg, marker)
	if i < 0 {
		return "a unique value"
	}
	cols := msg[i+len(marker):]
	if j := strings.Index(cols, " ("); j >= 0 { // the driver appends " (2067)"
		cols = cols[:j]
	}
	return cols
}

// notFound is the ENOTFOUND error of a missing record.
func notFound(what, key string) error {
	return launchpad.Errorf(launchpad.ENOTFOUND, "%s %q not found", what, key)
}

// keyChanged is the EINVALID error of an update function that changed the record's key.
func keyChanged(what, field, from, to string) error {
	return launchpad.Errorf(launchpad.EINVALID, "%s %q: an update may not change %s (to %q); create a new %s instead", what, from, field, to, what)
}
