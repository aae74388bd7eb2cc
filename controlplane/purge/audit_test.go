package purge_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/purge"
	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// TestAuditTrimArchivesWithProofsThenKeepsTheLogVerifiable: events older than the retention
// land in an archive whose proofs verify against its signed checkpoint and whose content
// hashes to the stored hashes; in the store they are emptied while newer ones are untouched;
// every chain and the tree still verify, also after a new event; a second pass archives nothing.
func TestAuditTrimArchivesWithProofsThenKeepsTheLogVerifiable(t *testing.T) {
	ctx := t.Context()
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var old, fresh []*launchpad.AuditEvent
	for i, age := range []time.Duration{45, 44, 40, 2, 1} {
		stream := []string{"u-a", "u-b"}[i%2]
		e, err := st.AppendAudit(ctx, &launchpad.AuditEvent{Stream: stream, Time: now.Add(-age * 24 * time.Hour), Actor: launchpad.UserActor(stream),
			Action: launchpad.AuditSignIn, Target: "lp-hermes-" + stream, Details: map[string]string{"email": stream + "@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if age > 30 {
			old = append(old, e)
		} else {
			fresh = append(fresh, e)
		}
	}
	signer, err := auditlog.NewSigner([]byte("a test audit signing secret of 32+ bytes"), auditlog.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := purge.Config{Audit: 30 * 24 * time.Hour, AuditArchiveDir: dir}
	p, err := purge.New(purge.Deps{Store: st, Config: cfg, AuditLog: auditlog.NewLog(st, signer), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	erased, err := p.Sweep(ctx, now)
	if err != nil || erased[purge.ClassAudit] != int64(len(old)) {
		t.Fatalf("Sweep = %v, %v; want %d audit events trimmed", erased, err, len(old))
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("archive dir holds %v, want one archive", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var a purge.AuditArchive
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	cp, err := auditlog.OpenCheckpoint([]byte(a.Checkpoint), signer.VerifierKey())
	if err != nil {
		t.Fatalf("the archive's checkpoint does not verify: %v", err)
	}
	if a.Format != purge.AuditArchiveFormat || len(a.Events) != len(old) {
		t.Fatalf("archive %s holds %d events, want %d", a.Format, len(a.Events), len(old))
	}
	for i, ae := range a.Events {
		e := &launchpad.AuditEvent{ID: ae.ID, Stream: ae.Stream, Seq: ae.Seq, Time: ae.Time, Actor: ae.Actor, Action: ae.Action,
			Target: ae.Target, Details: ae.Details, PrevHash: ae.PrevHash, Hash: ae.Hash, Index: ae.Index}
		if e.ID != old[i].ID || launchpad.AuditHash(e) != old[i].Hash {
			t.Fatalf("archived event %d = %+v, want the original content of %+v", i, ae, old[i])
		}
		var proof tlog.RecordProof
		for _, h := range ae.Proof.Hashes {
			var th tlog.Hash
			b, err := base64.StdEncoding.DecodeString(h)
			if err != nil || copy(th[:], b) != len(th) {
				t.Fatalf("proof hash %q: %v", h, err)
			}
			proof = append(proof, th)
		}
		if err := tlog.CheckRecord(proof, cp.Size, cp.Root, ae.Index, tlog.RecordHash(launchpad.AuditLeaf(e))); err != nil {
			t.Fatalf("the proof of archived event %s does not verify: %v", ae.ID, err)
		}
		got, err := st.GetAudit(ctx, ae.ID)
		if err != nil || !got.Trimmed || got.Actor != "" || got.Target != "" || len(got.Details) != 0 {
			t.Fatalf("after the trim the store holds %+v, %v; want the event emptied", got, err)
		}
	}
	for _, e := range fresh {
		if got, err := st.GetAudit(ctx, e.ID); err != nil || got.Trimmed || got.Details["email"] != e.Details["email"] {
			t.Fatalf("a newer event was changed: %+v, %v", got, err)
		}
	}

	if _, err := st.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u-a", Actor: launchpad.UserActor("u-a"), Action: launchpad.AuditLogout}); err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{"u-a", "u-b"} {
		events, err := st.ListAudit(ctx, launchpad.AuditFilter{Stream: stream})
		if err != nil {
			t.Fatal(err)
		}
		if err := launchpad.VerifyChain(nil, events); err != nil {
			t.Fatalf("stream %s no longer verifies after the trim: %v", stream, err)
		}
	}
	if _, err := auditlog.VerifyExtension(ctx, st, cp); err != nil {
		t.Fatalf("the log does not extend the archive's checkpoint after the trim: %v", err)
	}

	erased, err = p.Sweep(ctx, now)
	if err != nil || erased[purge.ClassAudit] != 0 {
		t.Fatalf("a second Sweep = %v, %v; want nothing trimmed again", erased, err)
	}
	if again, _ := filepath.Glob(filepath.Join(dir, "*")); len(again) != 1 {
		t.Fatalf("a second pass wrote another archive: %v", again)
	}
}

// TestLoadEnvAuditRetention: keep by default; whole days of at least 30 with an archive
// directory; otherwise an error naming the settings involved.
func TestLoadEnvAuditRetention(t *testing.T) {
	load := func(env map[string]string) (purge.Config, error) {
		return purge.LoadEnv(func(k string) string { return env[k] })
	}
	if c, err := load(nil); err != nil || c.Audit != purge.Forever {
		t.Fatalf("unset: Audit = %s, %v; want keep", c.Audit, err)
	}
	c, err := load(map[string]string{settings.RetentionAudit: "365d", settings.AuditArchiveDir: "/var/lib/launchpad/audit"})
	if err != nil || c.Audit != 365*24*time.Hour || c.AuditArchiveDir != "/var/lib/launchpad/audit" {
		t.Fatalf("365d: %+v, %v", c, err)
	}
	for _, v := range []string{"29d", "36h", "forever", "1y"} {
		_, err := load(map[string]string{settings.RetentionAudit: v, settings.AuditArchiveDir: "/a"})
		if err == nil || !strings.Contains(err.Error(), settings.RetentionAudit+"=") || !strings.Contains(err.Error(), "30d") {
			t.Errorf("%s=%s: %v; want an error naming the setting and its bounds", settings.RetentionAudit, v, err)
		}
	}
	_, err = load(map[string]string{settings.RetentionAudit: "90d"})
	if err == nil || !strings.Contains(err.Error(), settings.RetentionAudit) || !strings.Contains(err.Error(), settings.AuditArchiveDir) {
		t.Fatalf("a retention without an archive directory: %v; want an error naming both settings", err)
	}
}
