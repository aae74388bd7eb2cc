package controlplane

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/purge"
	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

func TestUserReadsOnlyTheirOwnAudit(t *testing.T) {
	env := newTestEnv(t)
	a, ta, idA := env.signedIn("a", "alice@example.com")
	_, _, idB := env.signedIn("b", "bob@example.com")

	r := a.get("/api/audit", ta.AccessToken)
	mustStatus(t, r, http.StatusOK)
	var page AuditPage
	r.decode(t, &page)
	if len(page.Events) != 1 || page.Events[0].Stream != idA {
		t.Fatalf("alice's audit = %s", r.body)
	}
	// No parameter selects another stream, and unknown parameters are refused, not ignored.
	for _, q := range []string{"?stream=" + idB, "?user=" + idB, "?user_id=" + idB} {
		r := a.get("/api/audit"+q, ta.AccessToken)
		mustStatus(t, r, http.StatusBadRequest)
		if strings.Contains(string(r.body), "bob@") || strings.Contains(string(r.body), `"events"`) {
			t.Fatalf("%s leaked: %s", q, r.body)
		}
	}
	// A user token is not the admin token.
	mustStatus(t, a.get("/api/admin/audit?stream="+idB, ta.AccessToken), http.StatusUnauthorized)
	mustStatus(t, a.get("/api/audit", ""), http.StatusUnauthorized)

	// The admin reads any stream.
	r = a.get("/api/admin/audit?stream="+idB, strings.Repeat("a", 40))
	mustStatus(t, r, http.StatusOK)
	r.decode(t, &page)
	if len(page.Events) != 1 || page.Events[0].Stream != idB {
		t.Fatalf("admin view of bob = %s", r.body)
	}
	r = a.get("/api/admin/audit", strings.Repeat("a", 40))
	mustStatus(t, r, http.StatusOK)
	r.decode(t, &page)
	if len(page.Events) != 2 {
		t.Fatalf("admin view of all = %s", r.body)
	}
	mustStatus(t, a.get("/api/admin/audit", strings.Repeat("a", 39)), http.StatusUnauthorized)
	mustStatus(t, a.get("/api/admin/audit", strings.Repeat("a", 40)+"b"), http.StatusUnauthorized)
}

func TestAdminAPIDisabledWithoutToken(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.AdminToken = "" })
	r := env.newClient("x").get("/api/admin/audit", "")
	mustStatus(t, r, http.StatusUnauthorized)
	if !strings.Contains(string(r.body), "LAUNCHPAD_ADMIN_TOKEN") {
		t.Fatalf("message does not say how to enable it: %s", r.body)
	}
}

func TestAuditPagingNewestFirst(t *testing.T) {
	env := newTestEnv(t)
	c, tok, id := env.signedIn("test", "ada@example.com")
	for i := range 11 {
		if _, err := env.store.AppendAudit(context.Background(), &launchpad.AuditEvent{Stream: id, Actor: "system", Action: "test.event", Target: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var seqs []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		r := c.get("/api/audit?limit=5"+cursor, tok.AccessToken)
		mustStatus(t, r, http.StatusOK)
		var page AuditPage
		r.decode(t, &page)
		for _, e := range page.Events {
			seqs = append(seqs, e.Seq)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = "&cursor=" + page.NextCursor
	}
	if fmt.Sprint(seqs) != "[12 11 10 9 8 7 6 5 4 3 2 1]" {
		t.Fatalf("seqs = %v", seqs)
	}
	for _, q := range []string{"?limit=0", "?limit=501", "?limit=x", "?cursor=0", "?cursor=x", "?limit=1&limit=2"} {
		mustStatus(t, c.get("/api/audit"+q, tok.AccessToken), http.StatusBadRequest)
	}
}

// The chain verifies through the CLI; after one stored event is altered with raw SQL (as
// someone with the database file could), verification fails and names that event.
func TestAuditCLIVerifyDetectsTampering(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	tok := c.signIn("ada@example.com")
	c.signIn("bob@example.com")
	env.newClient("phone").signIn("ada@example.com") // new device
	env.nextMail("ada@example.com")                  // its alert
	c.post("/api/auth/logout", map[string]string{"refresh_token": tok.RefreshToken})
	idA := c.me(c.signIn("ada@example.com").AccessToken).User.ID

	storeURL := "sqlite://" + env.dbPath
	getenv := func(k string) string {
		if k == "LAUNCHPAD_STORE" {
			return storeURL
		}
		return ""
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runAudit(context.Background(), args, getenv, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("--verify")
	if code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("verify of an intact log: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("--user", idA)
	if code != 0 || strings.Count(out, "\n") != 5 || !strings.Contains(out, idA+"#1  auth.sign_in") || !strings.Contains(out, "auth.new_device") {
		t.Fatalf("print of ada's stream: exit %d\n%s", code, out)
	}
	code, out, _ = run("--json")
	if code != 0 || strings.Count(out, "\n") != 6 {
		t.Fatalf("json print of all: exit %d\n%s", code, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e AuditEventJSON
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Hash == "" {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
	}

	// Tamper: change the IP of ada's third event. The store forbids updates with a trigger;
	// someone with the file can drop it.
	events, err := env.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: idA})
	if err != nil {
		t.Fatal(err)
	}
	victim := events[2]
	db, err := sql.Open("sqlite", env.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_events SET details = '{"ip":"203.0.113.9"}' WHERE id = ?`, victim.ID); err == nil {
		t.Fatal("the append-only trigger did not stop a plain UPDATE")
	}
	if _, err := db.Exec(`DROP TRIGGER audit_events_no_update`); err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE audit_events SET details = '{"ip":"203.0.113.9"}' WHERE id = ?`, victim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("updated %d rows", n)
	}

	code, out, errOut = run("--verify")
	if code != 1 || !strings.Contains(errOut, victim.ID) || !strings.Contains(errOut, "altered") {
		t.Fatalf("verify after tampering: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if code, _, _ := run("--verify", "--user", idA); code != 1 {
		t.Fatal("verify of the tampered stream passed")
	}
	// Other streams still verify on their own.
	idB := c.me(c.signIn("bob@example.com").AccessToken).User.ID
	if code, _, errOut := run("--verify", "--user", idB); code != 0 {
		t.Fatalf("bob's intact stream: %s", errOut)
	}
}

func TestAuditCLIFollow(t *testing.T) {
	env := newTestEnv(t)
	getenv := func(k string) string {
		if k == "LAUNCHPAD_STORE" {
			return "sqlite://" + env.dbPath
		}
		return ""
	}
	for _, args := range [][]string{{"--follow", "--interval", "20ms"}, {"--follow", "--interval", "20ms", "--user", "u1"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := &stacktest.Output{}
			done := make(chan int)
			go func() { done <- runAudit(ctx, args, getenv, out, &bytes.Buffer{}) }()
			for i := range 3 {
				if _, err := env.store.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u1", Actor: "system", Action: "test.follow", Target: fmt.Sprintf("%s-%d", args[len(args)-1], i)}); err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf("%s-%d", args[len(args)-1], i)
				waitFor(t, "follow to print "+want, 10*time.Second, func() bool { return strings.Contains(out.String(), want) })
			}
			cancel()
			if code := <-done; code != 0 {
				t.Fatalf("exit %d", code)
			}
			if n := strings.Count(out.String(), args[len(args)-1]+"-"); n != 3 {
				t.Fatalf("printed %d events, want 3 (no duplicates):\n%s", n, out.String())
			}
		})
	}
}

func TestAuditCLIUsage(t *testing.T) {
	for _, args := range [][]string{{"--verify", "--follow"}, {"extra"}, {"--interval", "0s"}, {"--nope"}} {
		var out, errOut bytes.Buffer
		if code := runAudit(context.Background(), args, func(string) string { return "" }, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	for _, url := range []string{"mysql://x", "sqlite://" + filepath.Join(t.TempDir(), "absent.db")} {
		var errOut bytes.Buffer
		if code := runAudit(context.Background(), nil, func(string) string { return url }, &bytes.Buffer{}, &errOut); code != 1 || !strings.Contains(errOut.String(), "LAUNCHPAD_STORE") {
			t.Errorf("store %s: exit %d, %s", url, code, errOut.String())
		}
	}
}

// After the purge loop archived and trimmed the events past the audit retention, and a new
// event was appended, `audit --verify` passes, also against the checkpoint the archive's
// proofs were made with.
func TestAuditCLIVerifyPassesAfterTheAuditTrim(t *testing.T) {
	ctx := t.Context()
	st, path := sqlitetest.Open(t, sqlite.Options{})
	now := time.Now()
	for _, age := range []time.Duration{50, 40, 1} {
		if _, err := st.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u-a", Time: now.Add(-age * 24 * time.Hour),
			Actor: launchpad.UserActor("u-a"), Action: launchpad.AuditSignIn, Details: map[string]string{"ip": "192.0.2.1"}}); err != nil {
			t.Fatal(err)
		}
	}
	signer, err := auditlog.NewSigner([]byte("a test audit signing secret of 32+ bytes"), auditlog.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := purge.New(purge.Deps{Store: st, AuditLog: auditlog.NewLog(st, signer),
		Config: purge.Config{Audit: 30 * 24 * time.Hour, AuditArchiveDir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if erased, err := p.Sweep(ctx, now); err != nil || erased[purge.ClassAudit] != 2 {
		t.Fatalf("Sweep = %v, %v; want 2 audit events trimmed", erased, err)
	}
	if _, err := st.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u-a", Actor: launchpad.UserActor("u-a"), Action: launchpad.AuditLogout}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.json"))
	if len(files) != 1 {
		t.Fatalf("archives: %v", files)
	}
	var archive purge.AuditArchive
	if raw, err := os.ReadFile(files[0]); err != nil || json.Unmarshal(raw, &archive) != nil {
		t.Fatalf("reading the archive: %v", err)
	}
	cpFile := filepath.Join(t.TempDir(), "checkpoint")
	if err := os.WriteFile(cpFile, []byte(archive.Checkpoint), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "LAUNCHPAD_STORE" {
			return "sqlite://" + path
		}
		return ""
	}
	for _, args := range [][]string{{"--verify"}, {"--verify", "--checkpoint", cpFile, "--verifier-key", signer.VerifierKey()}} {
		var out, errOut bytes.Buffer
		if code := runAudit(ctx, args, getenv, &out, &errOut); code != 0 || !strings.Contains(out.String(), "verified") {
			t.Fatalf("audit %v after the trim: exit %d\n%s%s", args, code, out.String(), errOut.String())
		}
	}
}
