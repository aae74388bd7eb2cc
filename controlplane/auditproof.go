package controlplane

import (
	"encoding/base64"
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// AuditProofJSON proves that an event is in the audit log: the event is leaf Index of the
// tree of TreeSize leaves whose root the signed Checkpoint (a C2SP signed note) pins. Check it
// with golang.org/x/mod/sumdb/tlog: CheckRecord(Proof, TreeSize, root of Checkpoint, Index,
// RecordHash("launchpad-audit-leaf-v1\n" + event.hash)), after checking the checkpoint's
// signature with the key `audit verifier-key` prints, and event.hash with the event's fields.
type AuditProofJSON struct {
	Event      AuditEventJSON `json:"event"`
	Index      int64          `json:"index"`
	TreeSize   int64          `json:"tree_size"`
	LeafHash   string         `json:"leaf_hash"` // base64
	Proof      []string       `json:"proof"`     // base64 hashes, in tlog.RecordProof order
	Checkpoint string         `json:"checkpoint"`
}

// handleAuditCheckpoint answers the latest signed checkpoint as text/plain, or 503 when serve
// has no LAUNCHPAD_AUDIT_SIGNING_SECRET.
func (s *Server) handleAuditCheckpoint(w http.ResponseWriter, r *http.Request) {
	if s.auditLog == nil {
		s.writeError(w, r, errNoAuditSigning())
		return
	}
	signed, err := s.auditLog.Checkpoint(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(signed.Note) //nolint:errcheck // the client went away
}

// handleAuditProof proves one of the signed-in user's own events. Another user's event is
// answered exactly like a missing one.
func (s *Server) handleAuditProof(w http.ResponseWriter, r *http.Request) (*AuditProofJSON, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	if s.auditLog == nil {
		return nil, errNoAuditSigning()
	}
	id := r.PathValue("id")
	e, err := s.store.GetAudit(r.Context(), id)
	if launchpad.ErrorCode(err) == launchpad.ENOTFOUND || (err == nil && e.Stream != principalFrom(r.Context()).UserID) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "you have no audit event %q", launchpad.Clip(id, 64))
	} else if err != nil {
		return nil, err
	}
	inc, err := s.auditLog.Prove(r.Context(), e)
	if err != nil {
		return nil, err
	}
	out := &AuditProofJSON{Event: auditEventJSON(e), Index: inc.Index, TreeSize: inc.Signed.Checkpoint.Size,
		LeafHash: base64.StdEncoding.EncodeToString(inc.LeafHash[:]), Proof: make([]string, len(inc.Proof)), Checkpoint: string(inc.Signed.Note)}
	for i, h := range inc.Proof {
		out.Proof[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out, nil
}

// errNoAuditSigning is the answer of the checkpoint and proof routes without a signing secret.
func errNoAuditSigning() error {
	return launchpad.Errorf(launchpad.EUNAVAILABLE, "audit checkpoints are not signed on this control plane: the operator must set LAUNCHPAD_AUDIT_SIGNING_SECRET")
}
