package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// The benchmarks measure the write paths the control plane runs most, each one transaction
// on a real file (WAL, synchronous=NORMAL). They print figures; nothing asserts on time.

func BenchmarkUpdateUser(b *testing.B) {
	db, _ := sqlitetest.Open(b, sqlite.Options{})
	ctx := b.Context()
	if err := db.CreateUser(ctx, &launchpad.User{ID: "u1", Email: "a@example.com"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.UpdateUser(ctx, "u1", func(u *launchpad.User) error { u.Usage.MachineSeconds++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordStripeEvent(b *testing.B) {
	db, _ := sqlitetest.Open(b, sqlite.Options{})
	ctx := b.Context()
	payload := make([]byte, 4096)
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("evt_%d", i)
		i++
		if _, err := db.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: id, Payload: payload},
			&launchpad.Job{Kind: launchpad.JobStripeEvent, Key: id}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimFinishJob is one job's life in the queue: enqueue, claim, finish.
func BenchmarkClaimFinishJob(b *testing.B) {
	db, _ := sqlitetest.Open(b, sqlite.Options{})
	ctx := b.Context()
	now := time.Date(2041, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := db.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: "u1", CreatedAt: now}); err != nil {
			b.Fatal(err)
		}
		j, err := db.ClaimJob(ctx, launchpad.JobClaim{Worker: "w", Lease: time.Minute, Now: now})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.FinishJob(ctx, j.ID, "w", launchpad.JobResult{Status: launchpad.JobSucceeded}, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendAudit(b *testing.B) {
	db, _ := sqlitetest.Open(b, sqlite.Options{})
	ctx := b.Context()
	for b.Loop() {
		if _, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u1", Action: launchpad.AuditApplyStarted, Details: map[string]string{"plan": "pro"}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetUser(b *testing.B) {
	db, _ := sqlitetest.Open(b, sqlite.Options{})
	ctx := b.Context()
	if err := db.CreateUser(ctx, &launchpad.User{ID: "u1", Email: "a@example.com"}); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.GetUser(ctx, "u1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
