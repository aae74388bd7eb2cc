package emails

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

func TestScanSortsAddresses(t *testing.T) {
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	seed(t, st)
	rep, err := Scan(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Users != len(seeded) || rep.Canonical != 1 || len(rep.Rewrites) != 2 || len(rep.Collisions) != 2 || len(rep.Invalid) != 1 || rep.Clean() {
		t.Fatalf("report = %+v; want %d users, 1 canonical (u-f), 2 rewrites, 2 collisions, 1 invalid", rep, len(seeded))
	}
	if c := rep.Collisions[0]; c.Canonical != "joe@example.com" || len(c.Accounts) != 2 || c.Accounts[0].UserID != "u-h" || c.Accounts[1].UserID != "u-i" {
		t.Errorf("first collision = %+v, want u-h and u-i at joe@example.com", c)
	}
	if c := rep.Collisions[1]; c.Canonical != "victim@example.com" || len(c.Accounts) != 2 || c.Accounts[0].UserID != "u-a" || c.Accounts[1].UserID != "u-b" {
		t.Errorf("second collision = %+v, want u-a and u-b at victim@example.com", c)
	}
	if inv := rep.Invalid[0]; inv.UserID != "u-e" || !strings.Contains(inv.Reason, "IP-literal") {
		t.Errorf("invalid = %+v, want u-e's IP-literal domain", inv)
	}
	wantEmails(t, st, nil)
}

// The command on SQLite: -check changes nothing; -migrate rewrites what it can and names
// the collisions; a second run changes nothing more; once the operator resolves them, the
// command passes.
func TestCommandOnSQLite(t *testing.T) {
	st, path := sqlitetest.Open(t, sqlite.Options{})
	seed(t, st)
	testCommand(t, st, "sqlite://"+path)
}

func testCommand(t *testing.T, st launchpad.Store, url string) {
	t.Helper()
	code, out, errOut := runCommand(t, url, "-check")
	if code != 1 || !strings.Contains(out, "addresses to rewrite:      2") || !strings.Contains(out, "run `terraform-provider-launchpad emails -migrate`") {
		t.Fatalf("-check: exit %d, want 1 with 2 to rewrite\n%s%s", code, out, errOut)
	}
	wantEmails(t, st, nil)

	code, out, errOut = runCommand(t, url, "--migrate")
	if code != 1 {
		t.Fatalf("-migrate with collisions left: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"addresses rewritten:       2",
		`rewritten: user u-c: "straße@example.com" -> "strasse@example.com"`,
		`collision: user u-a ("ｖｉｃｔｉｍ@example.com"), user u-b ("victim@example.com") are all the address "victim@example.com"; none was changed or merged`,
		`collision: user u-h ("ｊｏｅ@example.com"), user u-i ("joe@ｅｘａｍｐｌｅ.com")`,
		"clear or change the address of the others in the store, then run `emails -migrate` again",
		`invalid: user u-e: "bob@[127.0.0.1]" can no longer sign in by email`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("-migrate output lacks %q:\n%s", want, out)
		}
	}
	wantEmails(t, st, afterMigrate)

	code, out, errOut = runCommand(t, url, "-migrate")
	if code != 1 || !strings.Contains(out, "addresses rewritten:       0") || !strings.Contains(out, "addresses to rewrite:      0") {
		t.Fatalf("second -migrate: exit %d, want 1 and nothing rewritten\n%s%s", code, out, errOut)
	}
	wantEmails(t, st, afterMigrate)

	// The operator decides: u-b owns victim@, u-h gets joe@ (u-i's address cleared), u-e's
	// address is cleared. Then one run finishes the job.
	ctx := context.Background()
	for id, email := range map[string]string{"u-a": "", "u-i": "", "u-e": ""} {
		if _, err := st.UpdateUser(ctx, id, func(u *launchpad.User) error { u.Email = email; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = runCommand(t, url, "-migrate")
	if code != 0 || !strings.Contains(out, `rewritten: user u-h: "ｊｏｅ@example.com" -> "joe@example.com"`) || !strings.Contains(out, "every stored address is canonical") {
		t.Fatalf("-migrate after the collisions were resolved: exit %d, want 0\n%s%s", code, out, errOut)
	}
	if code, out, errOut = runCommand(t, url, "-check"); code != 0 {
		t.Fatalf("-check after the migration: exit %d, want 0\n%s%s", code, out, errOut)
	}
}

func TestCommandUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-check", "-migrate"}, {"-check", "extra"}, {"-bogus"}} {
		if code, out, errOut := runCommand(t, filepath.Join(t.TempDir(), "x.db"), args...); code != 2 {
			t.Errorf("emails %q: exit %d, want 2\n%s%s", args, code, out, errOut)
		}
	}
}

// racingStore takes the canonical address for another account just before the first
// rewrite, as a sign-in on another replica could, and records whom it signed out.
type racingStore struct {
	*sqlite.DB
	once      sync.Once
	signedOut []string
}

func (s *racingStore) UpdateUser(ctx context.Context, id string, fn func(*launchpad.User) error) (*launchpad.User, error) {
	s.once.Do(func() {
		_ = s.DB.CreateUser(ctx, &launchpad.User{ID: "u-new", Email: "strasse@example.com", Plan: launchpad.TrialPlan})
	})
	return s.DB.UpdateUser(ctx, id, fn)
}

func (s *racingStore) RevokeUserSessions(ctx context.Context, id string, now time.Time) error {
	s.signedOut = append(s.signedOut, id)
	return s.DB.RevokeUserSessions(ctx, id, now)
}

func TestMigrateRefusesAnAddressTakenSinceTheScan(t *testing.T) {
	db, _ := sqlitetest.Open(t, sqlite.Options{})
	seed(t, db)
	st := &racingStore{DB: db}
	rep, err := Migrate(context.Background(), st, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rewritten) != 1 || rep.Rewritten[0].UserID != "u-d" {
		t.Errorf("rewritten = %+v, want only u-d", rep.Rewritten)
	}
	var found bool
	for _, c := range rep.Collisions {
		if c.Canonical == "strasse@example.com" && len(c.Accounts) == 2 && c.Accounts[0].UserID == "u-c" && c.Accounts[1].UserID == "u-new" {
			found = true
		}
	}
	if !found {
		t.Errorf("collisions = %+v, want u-c against u-new at strasse@example.com", rep.Collisions)
	}
	wantEmails(t, db, map[string]string{"u-d": "anna@xn--bcher-kva.de"})
	if len(st.signedOut) != 1 || st.signedOut[0] != "u-d" {
		t.Errorf("signed out %v, want only the rewritten u-d", st.signedOut)
	}
}
