package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// rawDB opens path with the driver directly, bypassing the store, to inspect or prepare files.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	u := url.URL{Scheme: "file", Path: path, RawQuery: "_pragma=busy_timeout(5000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRow(`PRAGMA ` + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenRefusesPathsThatAreNotFiles(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file::memory:?cache=shared"} {
		db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err == nil {
			db.Close()
			t.Fatalf("Open(%q) succeeded; want EINVALID", path)
		}
		if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(launchpad.ErrorMessage(err), "file path") {
			t.Fatalf("Open(%q) = %v; want EINVALID asking for a file path", path, err)
		}
	}
}

func TestOpenSetsUpTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "launch pad?#%.db") // characters a URI must escape
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := db.CreateUser(t.Context(), &launchpad.User{ID: "u1"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database file mode %v, want 0600 (it holds sealed credentials)", mode)
	}
	raw := rawDB(t, path)
	if got := pragma(t, raw, "journal_mode"); got != "wal" {
		t.Errorf("journal_mode = %s, want wal", got)
	}
	if got := pragma(t, raw, "application_id"); got != "1280328004" {
		t.Errorf("application_id = %s, want 1280328004 (LPAD)", got)
	}
	if got, want := pragma(t, raw, "user_version"), schemaVersion(t); got != want {
		t.Errorf("user_version = %s, want %s (the number of migrations)", got, want)
	}
}

func TestMigrationsAreIdempotentOnReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "launchpad.db")
	for i := range 3 {
		db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		if err := db.CreateUser(t.Context(), &launchpad.User{ID: "u" + string(rune('1'+i))}); err != nil {
			t.Fatalf("CreateUser after open #%d: %v", i+1, err)
		}
		users, err := db.ListUsers(t.Context(), "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != i+1 {
			t.Fatalf("after open #%d there are %d users, want %d (data lost on reopen)", i+1, len(users), i+1)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := pragma(t, rawDB(t, path), "user_version"), schemaVersion(t); got != want {
		t.Fatalf("user_version after three opens = %s, want %s", got, want)
	}
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "launchpad.db")
	errs := make(chan error, 8)
	dbs := make(chan *sqlite.DB, 8)
	for range 8 {
		go func() {
			db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			errs <- err
			dbs <- db
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
		if db := <-dbs; db != nil {
			db.Close()
		}
	}
	if got, want := pragma(t, rawDB(t, path), "user_version"), schemaVersion(t); got != want {
		t.Fatalf("user_version = %s, want %s", got, want)
	}
}

func TestOpenRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.db")
	raw := rawDB(t, other)
	if _, err := raw.Exec(`CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')`); err != nil {
		t.Fatal(err)
	}
	marked := filepath.Join(dir, "marked.db")
	if _, err := rawDB(t, marked).Exec(`PRAGMA application_id = 4660`); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, bytes.Repeat([]byte("not a database\n"), 300), 0o600); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	db, err := sqlite.Open(t.Context(), newer, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := rawDB(t, newer).Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ path, says string }{
		{other, "not a Launchpad database"},
		{marked, "application_id 0x1234"},
		{text, "not a SQLite database"},
		{newer, "newer than this binary"},
	} {
		before, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		db, err := sqlite.Open(t.Context(), c.path, sqlite.Options{})
		if err == nil {
			db.Close()
			t.Fatalf("Open(%s) succeeded; want EINVALID", filepath.Base(c.path))
		}
		msg := launchpad.ErrorMessage(err)
		if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(msg, c.says) || !strings.Contains(msg, c.path) {
			t.Errorf("Open(%s) = %v; want EINVALID naming the file and saying %q", filepath.Base(c.path), err, c.says)
		}
		after, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Errorf("Open(%s) changed the file it refused", filepath.Base(c.path))
		}
	}
	var body string
	if err := raw.QueryRow(`SELECT body FROM notes`).Scan(&body); err != nil || body != "keep me" {
		t.Fatalf("the other program's data: %q, %v", body, err)
	}
}

func TestLockHeldTooLongIsUnavailable(t *testing.T) {
	ctx := t.Context()
	db, path := sqlitetest.Open(t, sqlite.Options{BusyTimeout: 100 * time.Millisecond})
	if err := db.CreateUser(ctx, &launchpad.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	// Another process holds the write lock.
	conn, err := rawDB(t, path).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	err = db.CreateUser(ctx, &launchpad.User{ID: "u2"})
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Fatalf("a write while another process holds the lock = %v; want EUNAVAILABLE", err)
	}
	// Readers are not blocked by a writer (WAL).
	if _, err := db.GetUser(ctx, "u1"); err != nil {
		t.Fatalf("a read while another process holds the write lock: %v", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping while another process holds the write lock: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &launchpad.User{ID: "u2"}); err != nil {
		t.Fatalf("a write once the lock is released: %v", err)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	db, path := sqlitetest.Open(t, sqlite.Options{})
	if _, err := db.AppendAudit(t.Context(), &launchpad.AuditEvent{Stream: "u1", Action: launchpad.AuditSignIn}); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	for _, stmt := range []string{`UPDATE audit_events SET actor = 'someone else'`, `DELETE FROM audit_events`,
		`UPDATE audit_events SET trimmed = 1, actor = 'someone else'`, `UPDATE audit_events SET trimmed = 1, hash = 'forged'`} {
		if _, err := raw.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v; want the append-only trigger to refuse it", stmt, err)
		}
	}
	events, err := db.ListAudit(t.Context(), launchpad.AuditFilter{Stream: "u1"})
	if err != nil || len(events) != 1 || launchpad.VerifyChain(nil, events) != nil {
		t.Fatalf("audit log after refused tampering: %d events, %v", len(events), err)
	}
}

func TestErrorsHoldNoSecrets(t *testing.T) {
	ctx := t.Context()
	db, _ := sqlitetest.Open(t, sqlite.Options{})
	const sealed, byok, totp = "v1.k1.SEALED-OPENROUTER-KEY", "v1.k1.SEALED-BYOK", "v1.k1.SEALED-TOTP"
	u := &launchpad.User{ID: "u1", Email: "a@example.com", OpenRouterKey: sealed, BYOKKey: byok, MFA: launchpad.MFA{SealedSecret: totp}}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var errs []error
	errs = append(errs, db.CreateUser(ctx, u))
	dup := *u
	dup.ID = "u2"
	errs = append(errs, db.CreateUser(ctx, &dup))
	_, err := db.UpdateUser(ctx, "u1", func(u *launchpad.User) error { u.ID = "other"; return nil })
	errs = append(errs, err)

	hmac := []byte("HMAC-OF-THE-CODE")
	if err := db.PutSignInCode(ctx, &launchpad.SignInCode{Email: "a@example.com", HMAC: hmac, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		_, err := db.VerifySignInCode(ctx, "a@example.com", time.Now(), 5, func([]byte) bool { return false })
		errs = append(errs, err)
	}
	s := &launchpad.Session{ID: "s1", UserID: "u1", FamilyID: "f1", TokenHash: "TOKEN-HASH-SECRET", ExpiresAt: time.Now().Add(time.Hour)}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	s2 := *s
	s2.ID = "s2"
	errs = append(errs, db.CreateSession(ctx, &s2))

	for _, err := range errs {
		if err == nil {
			t.Fatal("an operation that must fail succeeded")
		}
		for _, secret := range []string{sealed, byok, totp, string(hmac), s.TokenHash} {
			if strings.Contains(err.Error(), secret) || strings.Contains(launchpad.ErrorMessage(err), secret) {
				t.Errorf("error %q reveals a stored secret", err)
			}
		}
	}
}

func TestUnstorableRecordsAreInvalid(t *testing.T) {
	ctx := t.Context()
	db, _ := sqlitetest.Open(t, sqlite.Options{})
	nan := &launchpad.Plan{Name: "pro", MonthlySpendLimitUSD: math.NaN()}
	if err := db.CreatePlan(ctx, nan); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Errorf("CreatePlan with a NaN limit = %v, want EINVALID", err)
	}
	bad := &launchpad.User{ID: "u1", Subscription: launchpad.Subscription{Metadata: map[string]string{"product": "\xff\xfe"}}}
	if err := db.CreateUser(ctx, bad); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Errorf("CreateUser with metadata that is not UTF-8 = %v, want EINVALID (JSON would alter it)", err)
	}
	if _, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u1", Action: "x", Details: map[string]string{"k": "\xff"}}); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Errorf("AppendAudit with details that are not UTF-8 = %v, want EINVALID", err)
	}
	if _, err := db.GetUser(ctx, "u1"); !launchpad.IsNotFound(err) {
		t.Errorf("a refused user was stored: %v", err)
	}
}

// schemaVersion is the number of migrations in migrations/, which an up-to-date file's
// user_version must equal.
func schemaVersion(t *testing.T) string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	return strconv.Itoa(len(names))
}
