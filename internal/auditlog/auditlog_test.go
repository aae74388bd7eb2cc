package auditlog_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

const testSecret = "audit-signing-secret-for-tests-0123456789abcdef"

func newSigner(t *testing.T, secret string) *auditlog.Signer {
	t.Helper()
	s, err := auditlog.NewSigner([]byte(secret), "launchpad.example.com/audit")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func appendEvents(t *testing.T, st launchpad.AuditStore, n int) {
	t.Helper()
	for i := range n {
		if _, err := st.AppendAudit(t.Context(), &launchpad.AuditEvent{Stream: fmt.Sprintf("u%d", i%3), Action: launchpad.AuditSignIn}); err != nil {
			t.Fatal(err)
		}
	}
}

// The signed checkpoint is a C2SP note over a C2SP tlog-checkpoint body, and note.Open — a
// C2SP signed-note verifier — accepts it with the verifier key, and only with that key.
func TestCheckpointIsC2SPSignedNote(t *testing.T) {
	db, _ := sqlitetest.Open(t, sqlite.Options{})
	appendEvents(t, db, 5)
	signer := newSigner(t, testSecret)
	signed, err := auditlog.NewLog(db, signer).Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(signer.VerifierKey())
	if err != nil {
		t.Fatalf("the verifier key %q does not parse: %v", signer.VerifierKey(), err)
	}
	n, err := note.Open(signed.Note, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open with the verifier key: %v\n%s", err, signed.Note)
	}
	root, err := tlog.TreeHash(5, auditlog.StoreReader(t.Context(), db))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("launchpad.example.com/audit\n5\n%s\n", root)
	if n.Text != want {
		t.Fatalf("checkpoint body = %q, want %q", n.Text, want)
	}
	if !strings.HasPrefix(signer.VerifierKey(), "launchpad.example.com/audit+") {
		t.Fatalf("verifier key %q is not named for the origin", signer.VerifierKey())
	}
	// The same secret gives the same key (every replica signs alike); another does not verify.
	if again := newSigner(t, testSecret); again.VerifierKey() != signer.VerifierKey() {
		t.Fatalf("the key is not derived deterministically from the secret")
	}
	other := newSigner(t, testSecret+"-other")
	if _, err := auditlog.OpenCheckpoint(signed.Note, other.VerifierKey()); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(launchpad.ErrorMessage(err), "not signed by the key") {
		t.Fatalf("OpenCheckpoint with another key = %v, want EINVALID not signed by the key", err)
	}
	cp, err := auditlog.OpenCheckpoint(signed.Note, signer.VerifierKey())
	if err != nil || cp != signed.Checkpoint {
		t.Fatalf("OpenCheckpoint = %+v, %v; want %+v", cp, err, signed.Checkpoint)
	}
	// A body edited after signing (a bigger size) no longer verifies.
	forged := strings.Replace(string(signed.Note), "\n5\n", "\n6\n", 1)
	if _, err := auditlog.OpenCheckpoint([]byte(forged), signer.VerifierKey()); err == nil {
		t.Fatalf("an edited checkpoint verified")
	}
}

func TestSignerRefusesShortSecretAndBadOrigin(t *testing.T) {
	_, err := auditlog.NewSigner([]byte("short-secret"), auditlog.DefaultOrigin)
	if launchpad.ErrorCode(err) != launchpad.EINVALID || strings.Contains(err.Error(), "short-secret") || !strings.Contains(err.Error(), "LAUNCHPAD_AUDIT_SIGNING_SECRET") {
		t.Fatalf("NewSigner with a short secret = %v; want EINVALID naming the setting, not the value", err)
	}
	if _, err := auditlog.Origin("bad origin+x", ""); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("Origin with a space and '+' = %v, want EINVALID", err)
	}
	for _, c := range []struct{ origin, public, want string }{
		{"", "", auditlog.DefaultOrigin},
		{"", "https://launchpad.example.com/", "launchpad.example.com/audit"},
		{"log.example.org/x", "https://launchpad.example.com", "log.example.org/x"},
	} {
		if got, err := auditlog.Origin(c.origin, c.public); err != nil || got != c.want {
			t.Errorf("Origin(%q, %q) = %q, %v; want %q", c.origin, c.public, got, err, c.want)
		}
	}
}

func TestParseCheckpointRefusesMalformed(t *testing.T) {
	for _, text := range []string{"", "origin\n", "origin\nx\nAAAA\n", "origin\n-1\n" + strings.Repeat("A", 43) + "=\n", "origin\n3\nnot-base64\n", "\n3\n" + strings.Repeat("A", 43) + "=\n"} {
		if _, err := auditlog.ParseCheckpoint(text); launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("ParseCheckpoint(%q) = %v, want EINVALID", text, err)
		}
	}
	good := "o\n3\n" + strings.Repeat("A", 43) + "=\nextension line\n"
	if cp, err := auditlog.ParseCheckpoint(good); err != nil || cp.Size != 3 || cp.Origin != "o" {
		t.Fatalf("ParseCheckpoint with an extension line = %+v, %v", cp, err)
	}
}

// An inclusion proof of every event verifies with tlog.CheckRecord against the signed root.
func TestInclusionProofsVerify(t *testing.T) {
	db, _ := sqlitetest.Open(t, sqlite.Options{})
	appendEvents(t, db, 11)
	signer := newSigner(t, testSecret)
	l := auditlog.NewLog(db, signer)
	events, err := db.ListAuditLog(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		inc, err := l.Prove(t.Context(), e)
		if err != nil {
			t.Fatalf("Prove(%d): %v", e.Index, err)
		}
		cp, err := auditlog.OpenCheckpoint(inc.Signed.Note, signer.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(inc.Proof, cp.Size, cp.Root, inc.Index, tlog.RecordHash(launchpad.AuditLeaf(e))); err != nil {
			t.Fatalf("the inclusion proof of %d does not verify: %v", e.Index, err)
		}
	}
	if _, err := l.Prove(t.Context(), &launchpad.AuditEvent{ID: "x", Index: launchpad.NotIndexed}); launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Fatalf("Prove of an event not in the tree = %v, want EUNAVAILABLE", err)
	}
}

func TestVerifyExtension(t *testing.T) {
	ctx := t.Context()
	db, _ := sqlitetest.Open(t, sqlite.Options{})
	appendEvents(t, db, 6)
	l := auditlog.NewLog(db, newSigner(t, testSecret))
	signed, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ext, err := auditlog.VerifyExtension(ctx, db, signed.Checkpoint); err != nil || ext.Size != 6 {
		t.Fatalf("VerifyExtension of the log at its checkpoint = %+v, %v", ext, err)
	}
	appendEvents(t, db, 4)
	if ext, err := auditlog.VerifyExtension(ctx, db, signed.Checkpoint); err != nil || ext.Size != 10 {
		t.Fatalf("VerifyExtension after appends = %+v, %v", ext, err)
	}
	// A checkpoint of a tree the store never held (another root at size 6) is refused.
	bad := signed.Checkpoint
	bad.Root[0] ^= 1
	if _, err := auditlog.VerifyExtension(ctx, db, bad); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "not an extension") {
		t.Fatalf("VerifyExtension against another root = %v", err)
	}
	big := signed.Checkpoint
	big.Size = 11
	if _, err := auditlog.VerifyExtension(ctx, db, big); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("VerifyExtension against a bigger checkpoint = %v", err)
	}
}

func TestWitnessFileSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	w, err := auditlog.NewWitness("file://"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"a\n1\nX\n\n— k sig\n", "a\n2\nY\n\n— k sig\n"} {
		if err := w.Push(t.Context(), []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(path)
	if string(got) != "a\n1\nX\n\n— k sig\n\na\n2\nY\n\n— k sig\n\n" {
		t.Fatalf("file sink holds %q", got)
	}
	for _, bad := range []string{"file://relative/path", "ftp://x", "https:///nohost", "file:rel"} {
		if _, err := auditlog.NewWitness(bad, nil); launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("NewWitness(%q) = %v, want EINVALID", bad, err)
		}
	}
}

// The pusher posts the signed note to the witness once per new tree size, and a failing
// witness's error does not carry the URL's token.
func TestPushLoopPostsCheckpoints(t *testing.T) {
	db, _ := sqlitetest.Open(t, sqlite.Options{})
	appendEvents(t, db, 3)
	signer := newSigner(t, testSecret)
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Query().Get("token") != "s3cret" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		got <- string(b)
	}))
	defer srv.Close()
	w, err := auditlog.NewWitness(srv.URL+"/add?token=s3cret", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go auditlog.NewLog(db, signer).PushLoop(ctx, w, 5e6, testLogger(t))
	msg := <-got
	cp, err := auditlog.OpenCheckpoint([]byte(msg), signer.VerifierKey())
	if err != nil || cp.Size != 3 {
		t.Fatalf("the witness received %q: %+v, %v", msg, cp, err)
	}
	bad, _ := auditlog.NewWitness(srv.URL+"/add?token=wrong-token-value", srv.Client())
	if err := bad.Push(t.Context(), []byte(msg)); err == nil || strings.Contains(err.Error(), "wrong-token-value") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("a refused push = %v; want the status, without the token", err)
	}
	srv.Close()
	if err := w.Push(t.Context(), []byte(msg)); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("a push to a closed server = %v; want an error without the token", err)
	}
}
