package controlplane

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/export"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// TestExportThenDeleteMeErasesTheAccount runs serve on the simulators with the real tofu and
// the signed audit log: a paying user's export holds their email and audit events (with
// inclusion proofs) and none of the secrets involved; then DELETE /api/me tears the tenant
// down (no app, no live key at the simulators), ends the session at once, and, once serve
// has stopped, the email is in neither the SQLite database nor its write-ahead log, while
// `audit --verify` still passes over the pseudonymised log.
func TestExportThenDeleteMeErasesTheAccount(t *testing.T) {
	s := startStack(t, true, map[string]string{settings.AuditSigningSecret: testAuditSecret})
	createPlans(t, s.store)
	const email = "erin.erased@example.com"
	token, user, tn := s.provision(email)

	u, err := s.store.GetUser(t.Context(), user)
	if err != nil || u.OpenRouterKey == "" {
		t.Fatalf("the user after provisioning: %+v, %v; want a sealed sub-key", u, err)
	}
	kr, err := envelope.NewKeyring(testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	sealer := envelope.NewSealer(kr, s.store)
	subKey, err := sealer.Open(t.Context(), u.OpenRouterKey, user)
	if err != nil {
		t.Fatal(err)
	}
	material, err := s.store.GetUserKey(t.Context(), user)
	if err != nil || len(material) != launchpad.UserKeyLength {
		t.Fatalf("the user's key material after provisioning: %d bytes, %v", len(material), err)
	}
	secrets := map[string]string{
		"PLATFORM_SECRET": testSecret, "the audit signing secret": testAuditSecret, "the admin token": stackAdminToken,
		"the access token": token, "the sealed sub-key": u.OpenRouterKey, "the sub-key": string(subKey),
		"the webhook secret": stackWebhookSecret,
	}

	// Export: the user's own, and the operator's of the same user.
	r := s.do(http.MethodGet, "/api/me/export", token, nil, nil)
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("the export is not offered as a download: %q", r.header.Get("Content-Disposition"))
	}
	var doc export.Document
	r.decode(t, &doc)
	if doc.Profile.Email != email || len(doc.AuditEvents) == 0 || len(doc.Tenants) != 1 || doc.Tenants[0].AppName != tn.AppName || len(doc.Withheld) == 0 {
		t.Fatalf("export: profile %+v, %d audit events, tenants %+v, withheld %+v", doc.Profile, len(doc.AuditEvents), doc.Tenants, doc.Withheld)
	}
	if len(doc.Sessions) == 0 || doc.Sessions[0].IP != "127.0.0.1" || doc.Sessions[0].LastActiveAt.IsZero() {
		t.Fatalf("export: sessions %+v, want the signed-in session with its address and last activity", doc.Sessions)
	}
	proved := 0
	for _, e := range doc.AuditEvents {
		if e.Proof != nil && e.Proof.Checkpoint != "" && len(e.Proof.Hashes) > 0 {
			proved++
		}
	}
	if proved == 0 {
		t.Fatalf("no audit event of the export carries an inclusion proof: %+v", doc.AuditEvents)
	}
	admin := s.admin(http.MethodGet, "/api/admin/users/"+user+"/export")
	mustStatus(t, admin, http.StatusOK)
	for what, secret := range secrets {
		for name, body := range map[string][]byte{"the user's export": r.body, "the operator's export": admin.body} {
			if bytes.Contains(body, []byte(secret)) {
				t.Fatalf("%s holds %s", name, what)
			}
		}
	}
	if !bytes.Contains(admin.body, []byte(email)) {
		t.Fatalf("the operator's export has no email: %s", admin.body)
	}

	// Delete.
	del := s.do(http.MethodDelete, "/api/me", token, nil, nil)
	mustStatus(t, del, http.StatusAccepted)
	var dr DeletionResponse
	del.decode(t, &dr)
	if dr.Status != "deleting" || dr.Job == nil || dr.UserID != user {
		t.Fatalf("DELETE /api/me answered %+v", dr)
	}
	took := waitFor(t, "the old session to answer 401", 5*time.Second, func() bool {
		return s.do(http.MethodGet, "/api/me", token, nil, nil).status == http.StatusUnauthorized
	})
	t.Logf("MEASURED DELETE /api/me to the session refused: %s", took.Round(time.Millisecond))
	took = waitFor(t, "the erasure job "+dr.Job.ID, 3*time.Minute, func() bool {
		var j JobJSON
		s.admin(http.MethodGet, "/api/admin/jobs/"+dr.Job.ID).decode(t, &j)
		if j.Status == launchpad.JobFailed {
			t.Fatalf("the erasure job failed: %s", j.Error)
		}
		return j.Status == launchpad.JobSucceeded
	})
	t.Logf("MEASURED DELETE /api/me to the account erased (the teardown apply included): %s", took.Round(time.Millisecond))
	// LAUNCHPAD_RETENTION_SNAPSHOTS is unset (0): no app is left, and so no snapshot.
	if apps := liveMachines(s.fly); len(apps) != 0 {
		t.Fatalf("apps left at the Fly simulator: %v", apps)
	}
	if keys := liveKeyLimits(s.or); len(keys) != 0 {
		t.Fatalf("live keys left at the OpenRouter simulator: %v", keys)
	}
	if _, err := s.store.GetUserByEmail(t.Context(), email); !launchpad.IsNotFound(err) {
		t.Fatalf("the erased user is still found by email: %v", err)
	}
	// The copy of the sealed sub-key taken before the deletion no longer opens: its key
	// material is gone, though the platform secret is the same.
	if _, err := sealer.Open(t.Context(), u.OpenRouterKey, user); !errors.Is(err, envelope.ErrKeyErased) {
		t.Fatalf("the copied sealed sub-key after the erasure: %v; want ErrKeyErased", err)
	}
	// Asking again is harmless.
	again := s.admin(http.MethodDelete, "/api/admin/users/"+user)
	mustStatus(t, again, http.StatusOK)
	if !bytes.Contains(again.body, []byte(`"erased"`)) {
		t.Fatalf("a second deletion answered %s", again.body)
	}
	s.assertNoSecretsInLogs()

	// The files, once serve has stopped.
	s.stop()
	dbPath := strings.TrimPrefix(s.env["LAUNCHPAD_STORE"], "sqlite://")
	files, _ := filepath.Glob(dbPath + "*")
	if len(files) == 0 {
		t.Fatalf("no store files at %s", dbPath)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(email)) {
			t.Fatalf("%s still holds the erased user's email", filepath.Base(f))
		}
		// Nor their id: the erasure job's own record is pseudonymised, and the jobs of their
		// Stripe customer's events are deleted.
		if bytes.Contains(b, []byte(user)) {
			t.Fatalf("%s still holds the erased user's id %s", filepath.Base(f), user)
		}
		if bytes.Contains(b, material) {
			t.Fatalf("%s still holds the erased user's key material", filepath.Base(f))
		}
		t.Logf("%s: %d bytes, no email, no user id, no key material", filepath.Base(f), len(b))
	}
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "LAUNCHPAD_STORE":
			return s.env["LAUNCHPAD_STORE"]
		case settings.AuditSigningSecret:
			return testAuditSecret
		}
		return ""
	}
	if code := runAudit(context.Background(), []string{"--verify"}, getenv, &out, &errOut); code != 0 || !strings.Contains(out.String(), "verified") {
		t.Fatalf("audit --verify after the erasure: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	var printed bytes.Buffer
	if code := runAudit(context.Background(), nil, getenv, &printed, io.Discard); code != 0 || bytes.Contains(printed.Bytes(), []byte(user)) || !bytes.Contains(printed.Bytes(), []byte(launchpad.AuditAccountErased)) {
		t.Fatalf("audit after the erasure: exit %d; want the erasure recorded and the user id nowhere:\n%s", code, printed.String())
	}
}
