package contract

import (
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// CheckAudit refuses (EINVALID) an audit event AppendAudit cannot place: one without a stream
// or without an action.
func CheckAudit(e *launchpad.AuditEvent) error {
	switch {
	case e.Stream == "":
		return launchpad.Errorf(launchpad.EINVALID, "an audit event needs a stream (a user id or %q)", launchpad.PlatformStream)
	case e.Action == "":
		return launchpad.Errorf(launchpad.EINVALID, "an audit event needs an action (for example %q)", launchpad.AuditSignIn)
	case e.Pseudonymised:
		return launchpad.Errorf(launchpad.EINVALID, "an audit event is appended as it happened; only PseudonymiseAudit marks events pseudonymised")
	case e.Trimmed:
		return launchpad.Errorf(launchpad.EINVALID, "an audit event is appended as it happened; only TrimAudit marks events trimmed")
	}
	return nil
}

// HashRows are the rows of a query of (stored-hash index, hash): *sql.Rows and pgx.Rows alike.
type HashRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanAuditHashes reads rows of (stored-hash index, hash) and returns the hashes in the order
// of indexes (what tlog.HashReader returns); ENOTFOUND for the first one not stored. The
// caller closes rows.
func ScanAuditHashes(rows HashRows, indexes []int64) ([]tlog.Hash, error) {
	found := make(map[int64]tlog.Hash, len(indexes))
	for rows.Next() {
		var (
			idx int64
			b   []byte
		)
		if err := rows.Scan(&idx, &b); err != nil {
			return nil, err
		}
		if len(b) != tlog.HashSize {
			return nil, launchpad.Errorf(launchpad.EINTERNAL, "audit tree hash %d has %d bytes, not %d", idx, len(b), tlog.HashSize)
		}
		found[idx] = tlog.Hash(b)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := found[x]
		if !ok {
			return nil, launchpad.Errorf(launchpad.ENOTFOUND, "audit tree hash %d is not stored", x)
		}
		out[i] = h
	}
	return out, nil
}
