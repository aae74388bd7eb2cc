package storetest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func jobLogCases() []testCase {
	return []testCase{
		{"job_log/append_read_offsets", testJobLogOffsets},
		{"job_log/not_found", testJobLogNotFound},
		{"job_log/concurrent_appends", testJobLogConcurrent},
		{"job_log/keeps_last_limit_bytes", testJobLogLimit},
	}
}

func testJobLogOffsets(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	other := enqueue(t, s, newJob(launchpad.JobApply, "u2", at(0))).ID

	got, err := s.ReadJobLog(ctx, id, 0)
	wantOK(t, err, "ReadJobLog of a job without output")
	if len(got) != 0 {
		t.Fatalf("a job without output has log %q", got)
	}
	wantOK(t, s.AppendJobLog(ctx, id, []byte("tofu plan\n")), "AppendJobLog")
	wantOK(t, s.AppendJobLog(ctx, id, nil), "AppendJobLog of nothing")
	wantOK(t, s.AppendJobLog(ctx, id, []byte("Plan: 3 to add\x00\xff\n")), "AppendJobLog binary")
	wantOK(t, s.AppendJobLog(ctx, other, []byte("other job")), "AppendJobLog other")

	full := "tofu plan\nPlan: 3 to add\x00\xff\n"
	for _, off := range []int64{0, 1, 9, 10, 11, int64(len(full)) - 1, int64(len(full)), int64(len(full)) + 100} {
		got, err := s.ReadJobLog(ctx, id, off)
		wantOK(t, err, fmt.Sprintf("ReadJobLog(offset %d)", off))
		want := ""
		if off < int64(len(full)) {
			want = full[off:]
		}
		if string(got) != want {
			t.Fatalf("ReadJobLog(offset %d) = %q, want %q", off, got, want)
		}
	}
	// The result is a copy.
	got, err = s.ReadJobLog(ctx, id, 0)
	wantOK(t, err, "ReadJobLog")
	got[0] = 'X'
	got, err = s.ReadJobLog(ctx, id, 0)
	wantOK(t, err, "ReadJobLog")
	if string(got) != full {
		t.Fatalf("mutating ReadJobLog's result changed the log to %q", got)
	}
	got, err = s.ReadJobLog(ctx, other, 0)
	wantOK(t, err, "ReadJobLog other")
	if string(got) != "other job" {
		t.Fatalf("the other job's log is %q", got)
	}
}

func testJobLogNotFound(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantCode(t, s.AppendJobLog(ctx, "missing", []byte("x")), launchpad.ENOTFOUND, "AppendJobLog to a missing job")
	_, err := s.ReadJobLog(ctx, "missing", 0)
	wantCode(t, err, launchpad.ENOTFOUND, "ReadJobLog of a missing job")
}

func testJobLogConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	const lines = 4
	Race(concurrency, func(i int) {
		for j := range lines {
			if err := s.AppendJobLog(ctx, id, []byte(fmt.Sprintf("writer %02d line %d\n", i, j))); err != nil {
				t.Errorf("AppendJobLog: %v", err)
			}
		}
	})
	got, err := s.ReadJobLog(ctx, id, 0)
	wantOK(t, err, "ReadJobLog")
	for i := range concurrency {
		last := -1
		for j := range lines {
			line := []byte(fmt.Sprintf("writer %02d line %d\n", i, j))
			pos := bytes.Index(got, line)
			if pos < 0 {
				t.Fatalf("line %q was lost (log is %d bytes)", line, len(got))
			}
			if pos < last {
				t.Fatalf("writer %d's lines are out of order", i)
			}
			last = pos
		}
	}
	if want := concurrency * lines * len("writer 00 line 0\n"); len(got) != want {
		t.Fatalf("log is %d bytes, want %d (an append was duplicated or torn)", len(got), want)
	}
}

func testJobLogLimit(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	var all []byte
	for i := range 5 {
		chunk := randomBytes(uint64(100+i), launchpad.JobLogLimit/4+1000)
		wantOK(t, s.AppendJobLog(ctx, id, chunk), "AppendJobLog")
		all = append(all, chunk...)
	}
	got, err := s.ReadJobLog(ctx, id, 0)
	wantOK(t, err, "ReadJobLog")
	if len(got) < launchpad.JobLogLimit || !bytes.HasSuffix(all, got) {
		t.Fatalf("after writing %d bytes the log holds %d bytes (suffix of the output: %v); want at least the last JobLogLimit (%d) bytes",
			len(all), len(got), bytes.HasSuffix(all, got), launchpad.JobLogLimit)
	}
	// Offsets stay positions in the whole output, also when older output was dropped.
	tail, err := s.ReadJobLog(ctx, id, int64(len(all)-10))
	wantOK(t, err, "ReadJobLog of the tail")
	if !bytes.Equal(tail, all[len(all)-10:]) {
		t.Fatalf("ReadJobLog(len-10) = %d bytes, want the last 10 bytes of the output", len(tail))
	}
}
