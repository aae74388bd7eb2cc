package purge_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/purge"
	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

func TestLoadEnvReadsDaysAndForeverAndNamesBadSettings(t *testing.T) {
	env := map[string]string{
		settings.RetentionStripePayloads: "7d",
		settings.RetentionJobLogs:        "forever",
		settings.RetentionSessions:       "36h",
		settings.PurgeInterval:           "15m",
		settings.RetentionSnapshots:      "7d",
	}
	c, err := purge.LoadEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := purge.Defaults()
	want.StripePayloads, want.JobLogs, want.Sessions, want.Interval = 7*24*time.Hour, purge.Forever, 36*time.Hour, 15*time.Minute
	want.Snapshots = 7 * 24 * time.Hour
	if c != want {
		t.Fatalf("LoadEnv = %+v, want %+v", c, want)
	}
	if d := purge.Defaults(); d.StripePayloads != 30*24*time.Hour || d.Snapshots != 0 || d.SnapshotDays() != 0 {
		t.Fatalf("the default Stripe payload retention is %s and snapshot retention %s, want 30 days and none", d.StripePayloads, d.Snapshots)
	}
	if c.SnapshotDays() != 7 {
		t.Fatalf("7d of snapshot retention is %d days", c.SnapshotDays())
	}

	bad := map[string]string{
		settings.RetentionStripePayloads: "30 days",
		settings.RetentionDevices:        "-1d",
		settings.RetentionSignInCodes:    "0s",
		settings.PurgeInterval:           "0",
		settings.RetentionSnapshots:      "36h", // Fly keeps snapshots for whole days
	}
	_, err = purge.LoadEnv(func(k string) string { return bad[k] })
	if err == nil {
		t.Fatal("LoadEnv accepted bad settings")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name+"=") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
	if !strings.Contains(err.Error(), "30d") {
		t.Errorf("the error does not show the syntax to use: %v", err)
	}
}

// TestOneReplicaSweepsEachWindow: of several replicas running a pass in the same interval
// window, exactly one sweeps; in the next window one sweeps again.
func TestOneReplicaSweepsEachWindow(t *testing.T) {
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	ctx := t.Context()
	now := time.Date(2041, time.March, 14, 15, 0, 0, 0, time.UTC)
	for i, id := range []string{"evt_1", "evt_2"} {
		if _, err := st.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: id, Payload: []byte(`{"name":"x"}`), ReceivedAt: now.Add(-time.Duration(48-24*i) * time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	clock := atomic.Pointer[time.Time]{}
	clock.Store(&now)
	cfg := purge.Defaults()
	cfg.StripePayloads = 36 * time.Hour
	var counted atomic.Int64
	replicas := make([]*purge.Purger, 4)
	for i := range replicas {
		p, err := purge.New(purge.Deps{Store: st, Config: cfg, Metrics: countMetrics{&counted}, Now: func() time.Time { return *clock.Load() }})
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = p
	}
	pass := func() int64 {
		var claimed atomic.Int64
		storetest.Race(len(replicas), func(i int) {
			ok, err := replicas[i].RunOnce(ctx)
			if err != nil {
				t.Errorf("RunOnce: %v", err)
			}
			if ok {
				claimed.Add(1)
			}
		})
		return claimed.Load()
	}
	if n := pass(); n != 1 {
		t.Fatalf("%d replicas swept the first window, want 1", n)
	}
	if counted.Load() != 1 {
		t.Fatalf("the first window erased %d payloads, want 1 (the one older than 36h)", counted.Load())
	}
	later := now.Add(cfg.Interval + 13*time.Hour) // the second event is now past 36h too
	clock.Store(&later)
	if n := pass(); n != 1 {
		t.Fatalf("%d replicas swept the next window, want 1", n)
	}
	if counted.Load() != 2 {
		t.Fatalf("after two windows %d payloads were erased, want 2", counted.Load())
	}
}

type countMetrics struct{ n *atomic.Int64 }

func (m countMetrics) Purged(_ string, n int64) { m.n.Add(n) }
func (countMetrics) PurgeFailed(string)         {}
func (countMetrics) PurgeRan(time.Time)         {}

// TestPurgeDeletesRetainedWorkspacesPastTheirRetention runs against the Fly simulator: a
// tenant destroyed with no retention leaves no app and no snapshot; one destroyed keeping its
// workspace for 7 days leaves its empty app with the snapshot, recorded; a pass within the
// retention leaves it, the first pass past it deletes the app, and the snapshot with it, and
// forgets the record. Deleting an app already gone at Fly counts as done.
func TestPurgeDeletesRetainedWorkspacesPastTheirRetention(t *testing.T) {
	ctx := t.Context()
	w := tenanttest.New(t)
	svc := w.Tenants()
	tenantOf := func(user string) *launchpad.Tenant {
		return w.StartTenant(t, user, w.GiveSubKey(t, user, "sk-or-v1-"+user+"-0001"))
	}

	erased := tenantOf("carol03")
	if kept, _, err := svc.Destroy(ctx, erased, 0); err != nil || kept != nil {
		t.Fatalf("destroy keeping nothing: kept %+v, %v", kept, err)
	}
	if app := w.App(erased.AppName); app != nil {
		t.Fatalf("a tenant destroyed with no retention left its app at Fly: %+v", app)
	}

	retained := tenantOf("dave04")
	kept, _, err := svc.Destroy(ctx, retained, 7)
	if err != nil || kept == nil {
		t.Fatalf("destroy keeping the workspace: %+v, %v", kept, err)
	}
	if app := w.App(retained.AppName); app == nil || len(app.VolumeBackups) != 1 || app.VolumeBackups[0].ID != kept.SnapshotID {
		t.Fatalf("at Fly after the destroy: %+v, want the app with snapshot %s", app, kept.SnapshotID)
	}
	keptAt := w.Clock.Now()
	recs, err := w.Store.ListRetainedWorkspaces(ctx, keptAt.Add(time.Second), 10)
	if err != nil || len(recs) != 1 || recs[0].AppName != retained.AppName || recs[0].SnapshotID != kept.SnapshotID {
		t.Fatalf("the retained workspaces recorded: %+v, %v", recs, err)
	}

	cfg := purge.Defaults()
	cfg.Snapshots = 7 * 24 * time.Hour
	var counted atomic.Int64
	p, err := purge.New(purge.Deps{Store: w.Store, Runtime: w.Runtime, Config: cfg, Metrics: countMetrics{&counted}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.Sweep(ctx, keptAt.Add(6*24*time.Hour)); err != nil || n[purge.ClassSnapshots] != 0 || w.App(retained.AppName) == nil {
		t.Fatalf("a pass within the retention erased %v, %v; want the app kept", n, err)
	}
	n, err := p.Sweep(ctx, keptAt.Add(7*24*time.Hour+time.Minute))
	if err != nil || n[purge.ClassSnapshots] != 1 {
		t.Fatalf("the pass past the retention erased %v, %v; want one retained workspace", n, err)
	}
	if app := w.App(retained.AppName); app != nil {
		t.Fatalf("the retained app is still at Fly after the purge: %+v", app)
	}
	if recs, err := w.Store.ListRetainedWorkspaces(ctx, keptAt.Add(30*24*time.Hour), 10); err != nil || len(recs) != 0 {
		t.Fatalf("records left after the purge: %+v, %v", recs, err)
	}

	// A record whose app is gone already (deleted by hand) is forgotten all the same.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Store.PutRetainedWorkspace(ctx, &launchpad.RetainedWorkspace{AppName: erased.AppName, SnapshotID: "vs_gone", KeptAt: keptAt}))
	if n, err := p.Sweep(ctx, keptAt.Add(8*24*time.Hour)); err != nil || n[purge.ClassSnapshots] != 1 {
		t.Fatalf("a record of an app gone at Fly: erased %v, %v; want it forgotten", n, err)
	}
}

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
	newPurger := func(st launchpad.Store) *purge.Purger {
		p, err := purge.New(purge.Deps{Store: st, Config: cfg, AuditLog: auditlog.NewLog(st, signer), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A crash between the archive and the trim: the archive is written, nothing trimmed.
	if _, err := newPurger(trimFails{st}).Sweep(ctx, now); err == nil {
		t.Fatal("a pass whose trim failed reported no error")
	}
	if left, err := st.ListAuditToTrim(ctx, now.Add(-cfg.Audit), 0); err != nil || len(left) != len(old) {
		t.Fatalf("after a failed trim %d events are left to trim (%v), want %d", len(left), err, len(old))
	}
	p := newPurger(st)
	erased, err := p.Sweep(ctx, now)
	if err != nil || erased[purge.ClassAudit] != int64(len(old)) {
		t.Fatalf("Sweep = %v, %v; want %d audit events trimmed", erased, err, len(old))
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("archive dir holds %v, want the one archive, written again after the failed trim", files)
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

// trimFails is a store whose TrimAudit fails, as a crash after the archive was written would
// leave it.
type trimFails struct{ *sqlite.DB }

func (trimFails) TrimAudit(context.Context, []string) (int, error) {
	return 0, launchpad.Errorf(launchpad.EUNAVAILABLE, "the store went away")
}
