package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// BackupInfo describes a copy Backup wrote.
type BackupInfo struct {
	Path          string // the copy, absolute
	Bytes         int64
	SchemaVersion int // PRAGMA user_version: the migrations the copy has
	AuditEvents   int64
}

// Backup writes a consistent copy of the Launchpad database at src to dst while other
// processes (serve, tofu's provider) keep reading and writing it. It runs VACUUM INTO, which
// reads one snapshot of the database in a single read transaction — in WAL mode that blocks no
// writer — and writes a compact copy of it; the copy keeps the schema version and application
// id, so opening it with Open needs no migration and restoring is pointing LAUNCHPAD_STORE at
// it. The copy is written beside dst and renamed into place once complete and synced, so dst
// is never a partial file, and it is readable by its owner only (it holds sealed credentials).
//
// src must be an existing Launchpad database (it is opened read-only and never migrated, so an
// older binary cannot change a newer store's schema). dst must not exist: EINVALID otherwise,
// as for a src that is missing or belongs to another program. A copy that fails SQLite's
// integrity check is removed and reported as EINTERNAL.
func Backup(ctx context.Context, src, dst string) (BackupInfo, error) {
	srcAbs, err := filepath.Abs(src)
	if err != nil {
		return BackupInfo{}, launchpad.Errorf(launchpad.EINVALID, "SQLite path %q cannot be made absolute: %v", src, err)
	}
	dstAbs, err := filepath.Abs(dst)
	if err != nil {
		return BackupInfo{}, launchpad.Errorf(launchpad.EINVALID, "backup path %q cannot be made absolute: %v", dst, err)
	}
	if _, err := os.Stat(srcAbs); err != nil {
		return BackupInfo{}, launchpad.Errorf(launchpad.EINVALID, "there is no store at %s to back up: %v", srcAbs, err)
	}
	if _, err := os.Lstat(dstAbs); err == nil {
		return BackupInfo{}, launchpad.Errorf(launchpad.EINVALID, "%s already exists; a backup never overwrites a file: choose a new name", dstAbs)
	}

	db, err := sql.Open("sqlite", dsn(srcAbs, DefaultBusyTimeout, false))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("open %s: %w", srcAbs, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var appID, objects int
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return BackupInfo{}, openError(ctx, srcAbs, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&objects); err != nil {
		return BackupInfo{}, openError(ctx, srcAbs, err)
	}
	if appID != applicationID {
		if err := checkApplicationID(srcAbs, appID, objects); err != nil {
			return BackupInfo{}, err
		}
		return BackupInfo{}, launchpad.Errorf(launchpad.EINVALID, "%s is an empty database, not a Launchpad store: nothing to back up", srcAbs)
	}

	// VACUUM INTO writes into a file that does not exist or is empty: create it first, so that
	// it is the owner's only from the start.
	tmp := filepath.Join(filepath.Dir(dstAbs), "."+filepath.Base(dstAbs)+".partial-"+fmt.Sprint(time.Now().UnixNano()))
	if err := os.MkdirAll(filepath.Dir(dstAbs), 0o700); err != nil {
		return BackupInfo{}, launchpad.Errorf(launchpad.EINVALID, "cannot create the directory of %s: %v", dstAbs, err)
	}
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return BackupInfo{}, launchpad.Errorf(launchpad.EINVALID, "cannot write the backup beside %s: %v", dstAbs, err)
	}
	f.Close()
	defer os.Remove(tmp) // after the link below, dst is the copy's one name
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return BackupInfo{}, formatError(ctx, err)
	}

	info, err := checkCopy(ctx, tmp)
	if err != nil {
		return BackupInfo{}, err
	}
	if err := syncFile(tmp); err != nil {
		return BackupInfo{}, err
	}
	if err := os.Link(tmp, dstAbs); err != nil { // fails, rather than replaces, if dst appeared meanwhile
		return BackupInfo{}, launchpad.Errorf(launchpad.EINVALID, "cannot move the backup into place at %s: %v", dstAbs, err)
	}
	if d, err := os.Open(filepath.Dir(dstAbs)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	st, err := os.Stat(dstAbs)
	if err != nil {
		return BackupInfo{}, err
	}
	info.Path, info.Bytes = dstAbs, st.Size()
	return info, nil
}

// checkCopy runs SQLite's integrity check on a fresh copy and reads what it holds.
func checkCopy(ctx context.Context, path string) (BackupInfo, error) {
	db, err := sql.Open("sqlite", dsn(path, DefaultBusyTimeout, true))
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return BackupInfo{}, formatError(ctx, err)
	}
	if ok != "ok" {
		return BackupInfo{}, launchpad.Errorf(launchpad.EINTERNAL, "the backup copy failed SQLite's integrity check: %s", ok)
	}
	var info BackupInfo
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&info.SchemaVersion); err != nil {
		return BackupInfo{}, formatError(ctx, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_events`).Scan(&info.AuditEvents); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return BackupInfo{}, formatError(ctx, err)
	}
	return info, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
