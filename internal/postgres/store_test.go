package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
)

// TestValuesPostgreSQLCannotStoreAreInvalid: text that is not UTF-8, or holds a NUL byte,
// cannot be stored in PostgreSQL; the store says so with EINVALID and writes nothing, rather
// than failing with an internal error or storing something else.
func TestValuesPostgreSQLCannotStoreAreInvalid(t *testing.T) {
	db := newTestStore(t)
	ctx := t.Context()
	for name, u := range map[string]*launchpad.User{
		"email not UTF-8":    {ID: "u1", Email: "a\xffb@example.com"},
		"NUL in a plan":      {ID: "u2", Plan: "pro\x00"},
		"metadata not UTF-8": {ID: "u3", Subscription: launchpad.Subscription{Metadata: map[string]string{"region": "\xfe"}}},
		"NUL in metadata":    {ID: "u4", Subscription: launchpad.Subscription{Metadata: map[string]string{"region": "a\x00b"}}},
		"recovery codes":     {ID: "u5", MFA: launchpad.MFA{RecoveryCodes: []string{"\xc3\x28"}}},
	} {
		err := db.CreateUser(ctx, u)
		if launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("%s: CreateUser = %v, want EINVALID", name, err)
		}
		if _, err := db.GetUser(ctx, u.ID); !launchpad.IsNotFound(err) {
			t.Errorf("%s: the refused user was stored (%v)", name, err)
		}
	}
	_, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u1", Action: launchpad.AuditSignIn, Details: map[string]string{"ip": "\xff"}})
	if launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Errorf("AppendAudit with details that are not UTF-8 = %v, want EINVALID", err)
	}
}

// TestClaimRequeuesAJobAbandonedUnderAnExpiredLease: a job whose worker died still says
// running; when an older job of the same key is claimed first, the abandoned one goes back to
// the queue (attempts kept) instead of blocking the key, and runs after it.
func TestClaimRequeuesAJobAbandonedUnderAnExpiredLease(t *testing.T) {
	db := newTestStore(t)
	ctx := t.Context()
	t0 := time.Date(2041, 1, 1, 0, 0, 0, 0, time.UTC)
	older := &launchpad.Job{Kind: launchpad.JobApply, Key: "u1", CreatedAt: t0, RunAfter: t0.Add(time.Hour)}
	olderJob, err := db.EnqueueJob(ctx, older)
	if err != nil {
		t.Fatal(err)
	}
	abandoned, err := db.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: "u1", CreatedAt: t0.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if j, err := db.ClaimJob(ctx, launchpad.JobClaim{Worker: "dead", Lease: time.Minute, Now: t0.Add(2 * time.Second)}); err != nil || j.ID != abandoned.ID {
		t.Fatalf("first claim = %v, %v; want the job that is due", j, err)
	}
	// Two hours later the dead worker's lease has long expired and the older job is due too:
	// the older one is claimed (oldest first), the abandoned one queued again.
	now := t0.Add(2 * time.Hour)
	j, err := db.ClaimJob(ctx, launchpad.JobClaim{Worker: "w2", Lease: time.Minute, Now: now})
	if err != nil || j.ID != olderJob.ID {
		t.Fatalf("second claim = %v, %v; want the older job %s", j, err, olderJob.ID)
	}
	if a, _ := db.GetJob(ctx, abandoned.ID); a.Status != launchpad.JobQueued || a.Attempts != 1 || a.LeaseOwner != "" {
		t.Fatalf("the abandoned job is %s (attempts %d, owner %q), want queued again after 1 attempt", a.Status, a.Attempts, a.LeaseOwner)
	}
	if _, err := db.ClaimJob(ctx, launchpad.JobClaim{Worker: "w3", Lease: time.Minute, Now: now}); !launchpad.IsNotFound(err) {
		t.Fatalf("a claim while u1's older job runs = %v, want ENOTFOUND", err)
	}
	if _, err := db.FinishJob(ctx, j.ID, "w2", launchpad.JobResult{Status: launchpad.JobSucceeded}, now); err != nil {
		t.Fatal(err)
	}
	if j, err := db.ClaimJob(ctx, launchpad.JobClaim{Worker: "w3", Lease: time.Minute, Now: now}); err != nil || j.ID != abandoned.ID || j.Attempts != 2 {
		t.Fatalf("claim after the older job finished = %+v, %v; want the abandoned job, attempt 2", j, err)
	}
}

// TestUnreachableServerIsUnavailable: once its server is gone, every method of a store that
// opened fine says EUNAVAILABLE (what /readyz reports), never an internal error.
func TestUnreachableServerIsUnavailable(t *testing.T) {
	requireServer(t)
	if serverAbout == "the server "+pgtest.EnvURL+" names" {
		t.Skipf("this test starts and stops a server of its own; with %s set it would need one too", pgtest.EnvURL)
	}
	bin, err := pgtest.Find("")
	if err != nil {
		pgtest.Missing(t, err)
	}
	srv, err := pgtest.Start(context.Background(), pgtest.Config{Binaries: bin})
	if err != nil {
		t.Fatal(err)
	}
	db := openStore(t, srv.URL("postgres")+"&connect_timeout=2", postgres.Options{})
	if err := db.CreateUser(t.Context(), &launchpad.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := db.Ping(ctx); launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Errorf("Ping = %v, want EUNAVAILABLE", err)
	}
	for name, call := range map[string]func() error{
		"GetUser": func() error { _, err := db.GetUser(ctx, "u1"); return err },
		"UpdateUser": func() error {
			_, err := db.UpdateUser(ctx, "u1", func(*launchpad.User) error { return nil })
			return err
		},
		"ClaimJob": func() error {
			_, err := db.ClaimJob(ctx, launchpad.JobClaim{Worker: "w", Lease: time.Minute})
			return err
		},
		"AppendAudit": func() error {
			_, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "s", Action: "a"})
			return err
		},
	} {
		err := call()
		if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
			t.Errorf("%s on a stopped server = %v, want EUNAVAILABLE", name, err)
		}
		if err != nil && strings.Contains(err.Error(), srv.Password()) {
			t.Errorf("%s: the error holds the password: %v", name, err)
		}
	}
}
