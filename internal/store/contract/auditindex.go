package contract

import "github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"

// IndexAuditBatches is the loop of every store's IndexAudit: it runs batch — one transaction
// that places up to limit of the events without an index, returning the tree size after it
// and how many it found — until a batch finds fewer than limit, and returns the last size.
// Batches keep each transaction, and so the lock appends wait on, short.
func IndexAuditBatches(limit int, batch func() (size int64, found int, err error)) (int64, error) {
	for {
		size, found, err := batch()
		if err != nil || found < limit {
			return size, err
		}
	}
}

// PlaceAudit gives each of pending, in order, the next index from size on and calls place,
// which stores the event's tree hashes and its index in the caller's transaction. It returns
// the tree size after them.
func PlaceAudit(size int64, pending []*launchpad.AuditEvent, place func(*launchpad.AuditEvent) error) (int64, error) {
	for _, e := range pending {
		e.Index = size
		if err := place(e); err != nil {
			return 0, err
		}
		size++
	}
	return size, nil
}
