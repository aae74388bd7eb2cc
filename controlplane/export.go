package controlplane

import (
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/internal/export"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// exporter builds the data exports of GET /api/me/export and the admin's.
func (s *Server) exporter() *export.Exporter {
	return &export.Exporter{Store: s.store, Log: s.auditLog, Now: s.now}
}

// handleExportMe answers everything held about the signed-in user, as one JSON document,
// as a download.
func (s *Server) handleExportMe(w http.ResponseWriter, r *http.Request) (*export.Document, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	d, err := s.exporter().Export(r.Context(), principalFrom(r.Context()).UserID)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this account no longer exists")
	}
	if err == nil {
		w.Header().Set("Content-Disposition", `attachment; filename="launchpad-export.json"`)
		w.Header().Set("Cache-Control", "no-store")
	}
	return d, err
}

// handleAdminExportUser answers a user's export for an operator (a request made to the
// operator on the user's behalf).
func (s *Server) handleAdminExportUser(w http.ResponseWriter, r *http.Request) (*export.Document, error) {
	userID, _, err := s.adminTarget(r)
	if err != nil {
		return nil, err
	}
	d, err := s.exporter().Export(r.Context(), userID)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "there is no user %s", userID)
	}
	if err == nil {
		w.Header().Set("Cache-Control", "no-store")
	}
	return d, err
}
