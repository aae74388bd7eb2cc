package controlplane

import (
	"context"
	"database/sql"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

func TestLoadAuditLogConfig(t *testing.T) {
	const platform = "platform-secret-0123456789abcdef0123456789"
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	// Nothing set: no signer, no witness, no problem (the endpoint answers 503).
	c, problems := loadAuditLogConfig(env(), platform)
	if c.signer != nil || c.witness != nil || len(problems) != 0 || c.interval.String() != "5m0s" {
		t.Fatalf("defaults: %+v, %v", c, problems)
	}
	c, problems = loadAuditLogConfig(env(settings.AuditSigningSecret, testAuditSecret, settings.PublicURL, "https://lp.example.com",
		settings.AuditWitness, "file:///var/lib/launchpad/checkpoints", settings.AuditWitnessInterval, "1m"), platform)
	if len(problems) != 0 || c.signer == nil || c.signer.Origin() != "lp.example.com/audit" || c.witness == nil || c.interval.String() != "1m0s" {
		t.Fatalf("full config: %+v, %v", c, problems)
	}
	for _, bad := range []struct {
		env  []string
		want string
	}{
		{[]string{settings.AuditSigningSecret, "short"}, "too short"},
		{[]string{settings.AuditSigningSecret, platform}, "equals PLATFORM_SECRET"},
		{[]string{settings.AuditOrigin, "has space"}, "LAUNCHPAD_AUDIT_ORIGIN"},
		{[]string{settings.AuditWitnessInterval, "1s"}, "LAUNCHPAD_AUDIT_WITNESS_INTERVAL"},
		{[]string{settings.AuditWitness, "https://witness.example/add?token=tok-value-secret"}, "LAUNCHPAD_AUDIT_SIGNING_SECRET is not"},
		{[]string{settings.AuditSigningSecret, testAuditSecret, settings.AuditWitness, "ftp://tok-value-secret@x"}, "LAUNCHPAD_AUDIT_WITNESS must"},
	} {
		_, problems := loadAuditLogConfig(env(bad.env...), platform)
		joined := strings.Join(problems, "\n")
		if !strings.Contains(joined, bad.want) || strings.Contains(joined, "tok-value-secret") || strings.Contains(joined, platform) {
			t.Errorf("%v: problems %q; want one naming %q, without secrets", bad.env, joined, bad.want)
		}
	}
}

// serve refuses an audit retention without the archive directory it writes to, or without the
// signing secret its proofs need, naming the settings; with both it starts with the retention.
func TestServeRefusesAuditRetentionWithoutArchiveOrSigner(t *testing.T) {
	dir := t.TempDir()
	base := map[string]string{
		"PLATFORM_SECRET": testSecret, "LAUNCHPAD_STORE": "sqlite://" + filepath.Join(dir, "lp.db"), "LAUNCHPAD_TOFU": fakeTofu(t),
		"LAUNCHPAD_DATA_DIR": filepath.Join(dir, "data"), "LAUNCHPAD_SMTP_URL": smtp.LogURL, settings.RetentionAudit: "90d",
	}
	load := func(extra ...string) (*serveConfig, error) {
		env := maps.Clone(base)
		for i := 0; i < len(extra); i += 2 {
			env[extra[i]] = extra[i+1]
		}
		return loadServeConfig(nil, func(k string) string { return env[k] }, io.Discard)
	}
	_, err := load()
	for _, name := range []string{settings.RetentionAudit, settings.AuditArchiveDir, settings.AuditSigningSecret} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("a retention with neither archive directory nor signing secret: %v; want an error naming %s", err, name)
		}
	}
	cfg, err := load(settings.AuditArchiveDir, dir, settings.AuditSigningSecret, testAuditSecret)
	if err != nil || cfg.purge.Audit != 90*24*time.Hour || cfg.purge.AuditArchiveDir != dir {
		t.Fatalf("a complete audit retention: %v", err)
	}
}

// serve places the events an older binary wrote (no index) in the tree when it starts, serves
// the signed checkpoint, and pushes it to a file witness; the checkpoint there verifies with
// the key `audit verifier-key` prints, and the log does not carry the secret.
func TestServeSignsAndPushesCheckpoints(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "lp.db")
	st, err := store.Open(context.Background(), "sqlite://"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// An event as the previous binary stored it: no log_index.
	e := &launchpad.AuditEvent{ID: "old-1", Stream: launchpad.PlatformStream, Seq: 1, Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		Actor: launchpad.ActorSystem, Action: launchpad.AuditSecretRotated, Details: map[string]string{}}
	e.Hash = launchpad.AuditHash(e)
	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO audit_events (stream, seq, id, time, actor, action, target, details, prev_hash, hash) VALUES (?, 1, ?, ?, ?, ?, '', '{}', '', ?)`,
		e.Stream, e.ID, e.Time.UnixMicro(), e.Actor, e.Action, e.Hash); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	witness := filepath.Join(dir, "checkpoints")
	env := map[string]string{
		"PLATFORM_SECRET": testSecret, "LAUNCHPAD_ADDR": "127.0.0.1:0", "LAUNCHPAD_STORE": "sqlite://" + dbPath,
		"LAUNCHPAD_TOFU": fakeTofu(t), "LAUNCHPAD_DATA_DIR": filepath.Join(dir, "data"), "LAUNCHPAD_SMTP_URL": smtp.LogURL,
		settings.AuditSigningSecret: testAuditSecret, settings.AuditWitness: "file://" + witness,
	}
	cfg, err := loadServeConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &stacktest.Output{}
	listening := make(chan *Server, 1)
	exited := make(chan int, 1)
	go func() { exited <- serve(ctx, cfg, logs, func(srv *Server) { listening <- srv }) }()
	var srv *Server
	select {
	case srv = <-listening:
	case code := <-exited:
		t.Fatalf("serve exited %d:\n%s", code, logs.String())
	}
	defer func() {
		cancel()
		<-exited
	}()

	resp, err := http.Get("http://" + srv.Addr() + "/api/audit/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("checkpoint: %d %s", resp.StatusCode, body)
	}
	var out, errOut strings.Builder
	if code := runVerifierKey(nil, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("verifier-key: %d %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	vkey := lines[len(lines)-1]
	cp, err := auditlog.OpenCheckpoint(body, vkey)
	if err != nil || cp.Size != 1 {
		t.Fatalf("the served checkpoint: %+v, %v (the older event must be in the tree)", cp, err)
	}
	var pushed []byte
	waitFor(t, "the first push to the witness file", 10*time.Second, func() bool {
		pushed, _ = os.ReadFile(witness)
		return len(pushed) > 0
	})
	if pc, err := auditlog.OpenCheckpoint([]byte(strings.TrimRight(string(pushed), "\n")+"\n"), vkey); err != nil || pc != cp {
		t.Fatalf("the witness file holds %q: %+v, %v", pushed, pc, err)
	}
	if strings.Contains(logs.String(), testAuditSecret) {
		t.Fatal("serve logged the audit signing secret")
	}
}
