package firestore

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Benchmarks of the operations the control plane runs most, on the emulator (a JVM on this
// machine: the figures show the number of round trips more than Cloud Firestore's latency).

func BenchmarkRecordStripeEventWithJob(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("evt_bench_%d", i)
		ev := &launchpad.StripeEvent{ID: id, Type: "invoice.paid", Payload: []byte(`{"id":"` + id + `"}`)}
		if ok, err := s.RecordStripeEvent(ctx, ev, &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: id}); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkDuplicateStripeEvent(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	ev := &launchpad.StripeEvent{ID: "evt_dup", Type: "invoice.paid"}
	if _, err := s.RecordStripeEvent(ctx, ev, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := s.RecordStripeEvent(ctx, ev, &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "evt_dup"}); err != nil || ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkClaimAndFinishJob(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if _, err := s.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		j, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: "w", Lease: time.Minute, Now: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.FinishJob(ctx, j.ID, "w", launchpad.JobResult{Status: launchpad.JobSucceeded}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendAudit(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	for b.Loop() {
		if _, err := s.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u1", Action: launchpad.AuditSignIn, Actor: "user:u1"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateUser(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	if err := s.CreateUser(ctx, &launchpad.User{ID: "u1", OpenRouterKey: "v1.k1.x"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error { u.Usage.MachineSeconds++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutGetState(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20, launchpad.MaxStateSize} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s := newTestStore(b)
			ctx := b.Context()
			data := bytes.Repeat([]byte("x"), size)
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws", Data: data}); err != nil {
					b.Fatal(err)
				}
				if _, err := s.GetState(ctx, "ws"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
