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
	}
	return nil
}

// AuditHashes returns the tree hashes a store found, keyed by stored-hash index, in the order
// of indexes (what tlog.HashReader returns); ENOTFOUND for the first one not stored.
func AuditHashes(indexes []int64, found map[int64]tlog.Hash) ([]tlog.Hash, error) {
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
