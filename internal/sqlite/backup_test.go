package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestBackupUnderConcurrentWrites copies a store while another connection keeps appending
// audit events: the copy is one consistent snapshot (every stream's chain verifies), opens
// without a migration, is its owner's only, and is never written over.
func TestBackupUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	db, err := Open(ctx, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	appendOne := func(stream string) {
		if _, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: stream, Actor: launchpad.ActorSystem, Action: launchpad.AuditApplyStarted, Details: map[string]string{"plan": "pro"}}); err != nil {
			t.Error(err)
		}
	}
	for i := 0; i < 50; i++ {
		appendOne("u1")
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				appendOne([]string{"u1", "u2", "platform"}[i%3])
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	dst := filepath.Join(dir, "backups", "copy.db")
	info, err := Backup(ctx, src, dst)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != dst || info.Bytes == 0 || info.SchemaVersion < 1 || info.AuditEvents < 50 {
		t.Fatalf("BackupInfo %+v", info)
	}
	if st, err := os.Stat(dst); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the copy's mode: %v %v", st.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "backups", ".*partial*")); len(left) > 0 {
		t.Fatalf("partial files left behind: %v", left)
	}

	restored, err := Open(ctx, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	var total int64
	for _, stream := range []string{"u1", "u2", "platform"} {
		events, err := restored.ListAudit(ctx, launchpad.AuditFilter{Stream: stream, Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		if err := launchpad.VerifyChain(nil, events); err != nil {
			t.Fatalf("stream %s of the copy: %v", stream, err)
		}
		total += int64(len(events))
	}
	if total != info.AuditEvents {
		t.Fatalf("the copy holds %d events, Backup said %d", total, info.AuditEvents)
	}

	if _, err := Backup(ctx, src, dst); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("a second backup onto the same file = %v, want EINVALID", err)
	}
	if _, err := Backup(ctx, filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db")); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("a backup of no store = %v, want EINVALID", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !os.IsNotExist(err) {
		t.Fatal("backing up a missing store created it")
	}
}
