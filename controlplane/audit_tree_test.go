package controlplane

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

const testAuditSecret = "audit-signing-secret-for-the-control-plane-tests-0123456789"

// auditTreeEnv is a control plane that signs checkpoints, with a few users' events, a
// checkpoint saved from GET /api/audit/checkpoint, and the audit CLI against its store.
type auditTreeEnv struct {
	*testEnv
	checkpoint string // the file the checkpoint was saved to
	size       int64  // its tree size
	vkey       string // the verifier key `audit verifier-key` printed
}

func newAuditTreeEnv(t *testing.T) *auditTreeEnv {
	t.Helper()
	signer, err := auditlog.NewSigner([]byte(testAuditSecret), "launchpad.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnvDeps(t, func(d *Deps) { d.AuditLog = auditlog.NewLog(d.Store, signer) })
	for _, email := range []string{"ada@example.com", "bob@example.com", "cy@example.com", "ada@example.com"} {
		env.newClient("test").signIn(email)
	}
	r := env.newClient("anon").get("/api/audit/checkpoint", "") // public: no token
	mustStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("checkpoint Content-Type %q", ct)
	}
	a := &auditTreeEnv{testEnv: env, checkpoint: filepath.Join(t.TempDir(), "checkpoint")}
	if err := os.WriteFile(a.checkpoint, r.body, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := a.run(true, "verifier-key")
	if code != 0 {
		t.Fatalf("audit verifier-key: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	a.vkey = lines[len(lines)-1]
	if strings.Contains(out, testAuditSecret) {
		t.Fatal("audit verifier-key printed the secret")
	}
	// The checkpoint verifies with the printed key through note.Open, a C2SP signed-note verifier.
	v, err := note.NewVerifier(a.vkey)
	if err != nil {
		t.Fatalf("the last line of audit verifier-key, %q, is not a verifier key: %v", a.vkey, err)
	}
	n, err := note.Open(r.body, note.VerifierList(v))
	if err != nil {
		t.Fatalf("the checkpoint does not verify with the printed key: %v\n%s", err, r.body)
	}
	cp, err := auditlog.ParseCheckpoint(n.Text)
	if err != nil || cp.Origin != "launchpad.test/audit" || cp.Size < 4 {
		t.Fatalf("checkpoint %q: %+v, %v", n.Text, cp, err)
	}
	a.size = cp.Size
	return a
}

// run runs the audit CLI in-process against the env's store; withSecret adds the signing
// secret to its environment.
func (a *auditTreeEnv) run(withSecret bool, args ...string) (int, string, string) {
	getenv := func(k string) string {
		switch {
		case k == settings.Store:
			return "sqlite://" + a.dbPath
		case k == settings.AuditSigningSecret && withSecret:
			return testAuditSecret
		case k == settings.AuditOrigin:
			return "launchpad.test/audit"
		}
		return ""
	}
	var out, errOut bytes.Buffer
	code := runAudit(context.Background(), args, getenv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// raw opens the store's file as someone with write access to it would.
func (a *auditTreeEnv) raw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAuditVerifyCheckpointOfIntactLog(t *testing.T) {
	a := newAuditTreeEnv(t)
	code, out, errOut := a.run(false, "--verify", "--checkpoint", a.checkpoint, "--verifier-key", a.vkey)
	if code != 0 || !strings.Contains(out, "append-only extension of the checkpoint") {
		t.Fatalf("verify against the checkpoint: exit %d\n%s%s", code, out, errOut)
	}
	// Appends after the checkpoint extend it; the key may also come from the secret.
	a.newClient("later").signIn("dee@example.com")
	code, out, errOut = a.run(true, "--verify", "--checkpoint", a.checkpoint)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("at size %d", a.size)) {
		t.Fatalf("verify after more appends: exit %d\n%s%s", code, out, errOut)
	}
	// Without a key or the secret, and with another log's key, the checkpoint is refused.
	code, _, errOut = a.run(false, "--verify", "--checkpoint", a.checkpoint)
	if code != 1 || !strings.Contains(errOut, "--verifier-key") {
		t.Fatalf("verify without a key: exit %d, %s", code, errOut)
	}
	other, _ := auditlog.NewSigner([]byte(testAuditSecret+"-another"), "launchpad.test/audit")
	code, _, errOut = a.run(false, "--verify", "--checkpoint", a.checkpoint, "--verifier-key", other.VerifierKey())
	if code != 1 || !strings.Contains(errOut, "not signed by the key") {
		t.Fatalf("verify with another key: exit %d, %s", code, errOut)
	}
	// A checkpoint forged with another secret (bigger, different root) is refused.
	forged, err := other.Sign(auditlog.Checkpoint{Origin: "launchpad.test/audit", Size: a.size})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "forged")
	os.WriteFile(path, forged, 0o600) //nolint:errcheck // read back below
	if code, _, errOut := a.run(false, "--verify", "--checkpoint", path, "--verifier-key", a.vkey); code != 1 || !strings.Contains(errOut, "not signed by the key") {
		t.Fatalf("verify of a forged checkpoint: exit %d, %s", code, errOut)
	}
	// A witness file of several checkpoints: the newest is checked.
	cp, _ := os.ReadFile(a.checkpoint)
	newer := a.newClient("anon").get("/api/audit/checkpoint", "")
	witness := filepath.Join(t.TempDir(), "witness")
	os.WriteFile(witness, []byte(string(cp)+"\n"+string(newer.body)+"\n"), 0o600) //nolint:errcheck // read back below
	code, out, errOut = a.run(false, "--verify", "--checkpoint", witness, "--verifier-key", a.vkey)
	if code != 0 || strings.Contains(out, fmt.Sprintf("at size %d,", a.size)) {
		t.Fatalf("verify against a witness file: exit %d (want the newest checkpoint, not size %d)\n%s%s", code, a.size, out, errOut)
	}
	for _, args := range [][]string{{"--checkpoint", a.checkpoint}, {"--verify", "--checkpoint", a.checkpoint, "--user", "u1"}, {"--verify", "--verifier-key", a.vkey}} {
		if code, _, errOut := a.run(false, args...); code != 2 || errOut == "" {
			t.Errorf("audit %v: exit %d, %q; want a usage error", args, code, errOut)
		}
	}
}

// Deleting the two newest events (rows removed from the SQLite file, triggers dropped) keeps
// every stream's chain valid, but fails the checkpoint.
func TestAuditVerifyCheckpointDetectsTruncation(t *testing.T) {
	a := newAuditTreeEnv(t)
	db := a.raw(t)
	if _, err := db.Exec(`DELETE FROM audit_events WHERE log_index >= ?`, a.size-2); err == nil {
		t.Fatal("the append-only trigger did not stop a DELETE")
	}
	if _, err := db.Exec(`DROP TRIGGER audit_events_no_delete`); err != nil {
		t.Fatal(err)
	}
	if res, err := db.Exec(`DELETE FROM audit_events WHERE log_index >= ?`, a.size-2); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 2 {
		t.Fatalf("deleted %d rows", n)
	}
	code, out, errOut := a.run(false, "--verify", "--checkpoint", a.checkpoint, "--verifier-key", a.vkey)
	if code != 1 || !strings.Contains(out, "verified") || !strings.Contains(errOut, "truncated") {
		t.Fatalf("verify of a truncated log: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// Rewriting one event and recomputing its stream's chain and every stored tree hash gives a
// store that is consistent with itself — plain --verify passes — but not with the checkpoint.
func TestAuditVerifyCheckpointDetectsRewrite(t *testing.T) {
	a := newAuditTreeEnv(t)
	ctx := context.Background()
	// The victim: the oldest event with more of its stream after it, so there is a chain to
	// recompute.
	all, err := a.store.ListAuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var (
		victim []*launchpad.AuditEvent
		stream []*launchpad.AuditEvent
	)
	for _, e := range all {
		if stream, err = a.store.ListAudit(ctx, launchpad.AuditFilter{Stream: e.Stream}); err != nil {
			t.Fatal(err)
		}
		if len(stream) >= 2 && stream[0].ID == e.ID {
			victim = []*launchpad.AuditEvent{e}
			break
		}
	}
	if victim == nil {
		t.Fatal("no stream has two events")
	}
	db := a.raw(t)
	for _, trigger := range []string{"audit_events_no_update", "audit_tree_no_delete"} {
		if _, err := db.Exec(`DROP TRIGGER ` + trigger); err != nil {
			t.Fatal(err)
		}
	}
	// The attacker's rewrite: a new IP on the victim event, and the chain after it recomputed.
	prev := ""
	for _, e := range stream {
		if e.ID == victim[0].ID {
			e.Details = map[string]string{"ip": "203.0.113.9"}
		}
		e.PrevHash = prev
		e.Hash = launchpad.AuditHash(e)
		prev = e.Hash
		details := `{}`
		if b, err := json.Marshal(e.Details); err == nil {
			details = string(b)
		}
		if _, err := db.Exec(`UPDATE audit_events SET details = ?, prev_hash = ?, hash = ? WHERE id = ?`, details, e.PrevHash, e.Hash, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	// …and the whole tree recomputed from the rewritten events.
	events, err := a.store.ListAuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM audit_tree`); err != nil {
		t.Fatal(err)
	}
	var stored []tlog.Hash
	mem := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = stored[x]
		}
		return out, nil
	})
	for _, e := range events {
		_, hs, err := launchpad.AuditTreeHashes(e.Index, e, mem)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	for i, h := range stored {
		if _, err := db.Exec(`INSERT INTO audit_tree (idx, hash) VALUES (?, ?)`, i, h[:]); err != nil {
			t.Fatal(err)
		}
	}

	if code, out, errOut := a.run(false, "--verify"); code != 0 {
		t.Fatalf("the rewrite was not self-consistent, so the test proves nothing: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := a.run(false, "--verify", "--checkpoint", a.checkpoint, "--verifier-key", a.vkey)
	if code != 1 || !strings.Contains(errOut, "not an extension of the checkpoint") {
		t.Fatalf("verify of a rewritten log: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// A user gets an inclusion proof of their own events, which verifies with tlog.CheckRecord
// against the signed checkpoint it comes with; another user's event is not found.
func TestAuditInclusionProofOfOwnEvents(t *testing.T) {
	a := newAuditTreeEnv(t)
	c, tok, id := a.signedIn("proof", "eve@example.com")
	_, _, other := a.signedIn("other", "mallory@example.com")
	mine, err := a.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: id})
	if err != nil || len(mine) == 0 {
		t.Fatal(mine, err)
	}
	r := c.get("/api/audit/"+mine[0].ID+"/proof", tok.AccessToken)
	mustStatus(t, r, http.StatusOK)
	var p AuditProofJSON
	r.decode(t, &p)
	cp, err := auditlog.OpenCheckpoint([]byte(p.Checkpoint), a.vkey)
	if err != nil {
		t.Fatal(err)
	}
	proof := make(tlog.RecordProof, len(p.Proof))
	for i, s := range p.Proof {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			t.Fatalf("proof hash %q", s)
		}
		proof[i] = tlog.Hash(b)
	}
	leaf := tlog.RecordHash(launchpad.AuditLeaf(mine[0]))
	if p.Event.ID != mine[0].ID || p.Index != mine[0].Index || p.TreeSize != cp.Size || p.LeafHash != base64.StdEncoding.EncodeToString(leaf[:]) {
		t.Fatalf("proof answer %+v does not match the event %+v / checkpoint %+v", p, mine[0], cp)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, p.Index, leaf); err != nil {
		t.Fatalf("the inclusion proof does not verify: %v", err)
	}
	theirs, _ := a.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: other})
	for _, id := range []string{theirs[0].ID, "no-such-event"} {
		r := c.get("/api/audit/"+id+"/proof", tok.AccessToken)
		mustStatus(t, r, http.StatusNotFound)
	}
	mustStatus(t, a.newClient("anon").get("/api/audit/"+mine[0].ID+"/proof", ""), http.StatusUnauthorized)
}

// Without a signing secret the checkpoint and the proofs answer 503, saying what to set.
func TestAuditCheckpointWithoutSecret(t *testing.T) {
	env := newTestEnv(t)
	c, tok, id := env.signedIn("x", "ada@example.com")
	r := c.get("/api/audit/checkpoint", "")
	mustStatus(t, r, http.StatusServiceUnavailable)
	if !strings.Contains(string(r.body), "LAUNCHPAD_AUDIT_SIGNING_SECRET") {
		t.Fatalf("503 body does not say what to set: %s", r.body)
	}
	events, _ := env.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: id})
	mustStatus(t, c.get("/api/audit/"+events[0].ID+"/proof", tok.AccessToken), http.StatusServiceUnavailable)
}
