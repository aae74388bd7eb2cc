package firestore

import (
	"context"
	"fmt"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// A job's log is a head document (launchpad_job_logs/{jobId}) and chunks of at most
// logChunkSize bytes in its sub-collection "chunks", named by their index. An append fills the
// last chunk and adds new ones; chunks that lie wholly before the last JobLogLimit bytes are
// deleted in the same commit. Every append writes the head with a precondition, so appends are
// serialised; offsets count from the first byte ever written.
const (
	logChunkSize = 256 << 10
	// logAppendMax is the most one commit appends: a larger append is written in parts (the
	// emulator refuses requests of 4 MiB; Cloud Firestore allows 10 MiB).
	logAppendMax = 2 << 20
)

// logHeadDoc describes the chunks of one job's log.
type logHeadDoc struct {
	JobID string `firestore:"jobId"`
	// Size is how many bytes were ever appended.
	Size int64 `firestore:"size"`
	// First is the index of the oldest chunk kept, Starts the offset of each chunk kept.
	First  int64   `firestore:"first"`
	Starts []int64 `firestore:"starts"`
}

type logChunkDoc struct {
	Start int64  `firestore:"start"`
	Data  []byte `firestore:"data"`
}

func (s *Store) logHeadRef(jobID string) *firestore.DocumentRef {
	return s.doc(s.col.jobLogs, jobID)
}

func (s *Store) logChunkRef(jobID string, index int64) *firestore.DocumentRef {
	return s.logHeadRef(jobID).Collection("chunks").Doc(fmt.Sprintf("%012d", index))
}

// AppendJobLog adds p to the log of job id; ENOTFOUND if there is no such job. Only the last
// JobLogLimit bytes are kept. An append larger than 2 MiB is written in parts, so a concurrent
// append may land between them.
func (s *Store) AppendJobLog(ctx context.Context, id string, p []byte) error {
	skip := int64(0)
	if len(p) > launchpad.JobLogLimit {
		// Only the tail would be kept: count the rest as written without storing it.
		skip, p = int64(len(p)-launchpad.JobLogLimit), p[len(p)-launchpad.JobLogLimit:]
	}
	for first := true; first || len(p) > 0; first = false {
		part := p[:min(len(p), logAppendMax)]
		p = p[len(part):]
		if err := s.appendLog(ctx, id, skip, part); err != nil {
			return err
		}
		skip = 0
	}
	return nil
}

// appendLog appends data, after skip bytes that are counted but not kept, in one commit.
func (s *Store) appendLog(ctx context.Context, id string, skip int64, data []byte) error {
	return s.atomically(ctx, "append job log", func(b *batch) error {
		p := data // consumed below; a retried attempt starts again from all of it
		snaps, err := s.getAll(ctx, s.logHeadRef(id), s.jobRef(id))
		if err != nil {
			return err
		}
		headSnap, jobSnap := snaps[0], snaps[1]
		if !jobSnap.Exists() {
			return notFound("job", id)
		}
		if len(p) == 0 && skip == 0 {
			return nil
		}
		head := logHeadDoc{JobID: id}
		if headSnap.Exists() {
			if err := headSnap.DataTo(&head); err != nil {
				return err
			}
		}
		if skip > 0 {
			// Everything kept so far lies before the last JobLogLimit bytes.
			for i := range head.Starts {
				b.delete(s.logChunkRef(id, head.First+int64(i)))
			}
			head.First += int64(len(head.Starts))
			head.Starts = nil
			head.Size += skip
		}
		// Fill the last chunk, then add new ones.
		if n := len(head.Starts); n > 0 {
			lastIndex, lastStart := head.First+int64(n-1), head.Starts[n-1]
			if room := logChunkSize - (head.Size - lastStart); room > 0 {
				last, err := s.get(ctx, s.logChunkRef(id, lastIndex))
				if err != nil {
					return err
				}
				var chunk logChunkDoc
				if last.Exists() {
					if err := last.DataTo(&chunk); err != nil {
						return err
					}
				}
				if !last.Exists() || chunk.Start != lastStart || int64(len(chunk.Data)) != head.Size-lastStart {
					return errStale // an append committed between reading the head and the chunk
				}
				take := min(int(room), len(p))
				chunk.Data = append(chunk.Data, p[:take]...)
				p = p[take:]
				head.Size += int64(take)
				b.put(last, &chunk)
			}
		}
		for len(p) > 0 {
			take := min(logChunkSize, len(p))
			index := head.First + int64(len(head.Starts))
			b.create(s.logChunkRef(id, index), &logChunkDoc{Start: head.Size, Data: clone(p[:take])})
			head.Starts = append(head.Starts, head.Size)
			head.Size += int64(take)
			p = p[take:]
		}
		// Drop the chunks that end at or before the start of the last JobLogLimit bytes.
		for len(head.Starts) > 1 && head.Starts[1] <= head.Size-launchpad.JobLogLimit {
			b.delete(s.logChunkRef(id, head.First))
			head.First++
			head.Starts = head.Starts[1:]
		}
		b.put(headSnap, &head)
		return nil
	})
}

// ReadJobLog returns the log of job id from offset on; output dropped for the size limit is
// skipped. ENOTFOUND if there is no such job.
func (s *Store) ReadJobLog(ctx context.Context, id string, offset int64) ([]byte, error) {
	offset = max(offset, 0)
	// A concurrent append may drop a chunk between reading the head and the chunks: read again.
	for range maxAttempts {
		out, consistent, err := s.readLog(ctx, id, offset)
		if err != nil || consistent {
			return out, err
		}
	}
	return nil, launchpad.Errorf(launchpad.ECONFLICT, "the log of job %s changed too often while it was read; try again", launchpad.Clip(id, 100))
}

func (s *Store) readLog(ctx context.Context, id string, offset int64) ([]byte, bool, error) {
	snaps, err := s.getAll(ctx, s.logHeadRef(id), s.jobRef(id))
	if err != nil {
		return nil, false, storeError(err, "read job log")
	}
	headSnap, jobSnap := snaps[0], snaps[1]
	if !jobSnap.Exists() {
		return nil, false, notFound("job", id)
	}
	out := []byte{}
	if !headSnap.Exists() {
		return out, true, nil
	}
	var head logHeadDoc
	if err := headSnap.DataTo(&head); err != nil {
		return nil, false, storeError(err, "decode job log head")
	}
	var refs []*firestore.DocumentRef
	var starts []int64
	for i, start := range head.Starts {
		end := head.Size
		if i+1 < len(head.Starts) {
			end = head.Starts[i+1]
		}
		if end > offset {
			refs = append(refs, s.logChunkRef(id, head.First+int64(i)))
			starts = append(starts, start)
		}
	}
	if len(refs) == 0 {
		return out, true, nil
	}
	chunks, err := s.getAll(ctx, refs...)
	if err != nil {
		return nil, false, storeError(err, "read job log")
	}
	for i, snap := range chunks {
		if !snap.Exists() {
			return nil, false, nil
		}
		var c logChunkDoc
		if err := snap.DataTo(&c); err != nil {
			return nil, false, storeError(err, "decode job log chunk")
		}
		if c.Start != starts[i] {
			return nil, false, nil
		}
		data := c.Data
		if skip := offset - c.Start; skip > 0 {
			data = data[min(skip, int64(len(data))):]
		}
		out = append(out, data...)
	}
	return out, true, nil
}
