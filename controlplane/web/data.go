package web

import (
	"encoding/json"
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// AccountData is what the "Your data" page does for the signed-in user.
type AccountData interface {
	// Export returns everything held about the user as one JSON-encodable document, as
	// GET /api/me/export does; it never holds a secret.
	Export(r *http.Request, userID string) (any, error)
	// DeleteAccount starts the deletion of sess's user, as DELETE /api/me does: ESTEPUP
	// without a recent sign-in; every session ends at once.
	DeleteAccount(r *http.Request, sess *launchpad.Session) error
}

// dataPage is the "Your data" page.
type dataPage struct {
	Available bool // export and deletion are served
}

// deleteConfirmation is what the user types to confirm a deletion, so that no stray click
// deletes an account.
const deleteConfirmation = "delete my account"

// handleDataPage shows the page: download the export, delete the account.
func (h *Handler) handleDataPage(w http.ResponseWriter, r *http.Request, s *session) {
	v := signedInView(s, "Your data", "data", &dataPage{Available: h.data != nil})
	v.Flash = doneMessages[r.URL.Query().Get("done")]
	h.render(w, r, http.StatusOK, "data", v)
}

// handleDataExport answers the export as a file download.
func (h *Handler) handleDataExport(w http.ResponseWriter, r *http.Request, s *session) {
	if h.data == nil {
		h.failed(w, r, launchpad.Errorf(launchpad.EUNAVAILABLE, "the export is not available on this server"))
		return
	}
	doc, err := h.data.Export(r, s.user.ID)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		h.failed(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="launchpad-export.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b) //nolint:errcheck // the client went away
}

// handleDeleteAccount deletes the account once the user typed the confirmation; without a
// recent sign-in it sends them to confirm it is them first.
func (h *Handler) handleDeleteAccount(w http.ResponseWriter, r *http.Request, s *session) {
	if h.data == nil {
		h.failed(w, r, launchpad.Errorf(launchpad.EUNAVAILABLE, "account deletion is not available on this server"))
		return
	}
	if r.PostFormValue("confirm") != deleteConfirmation {
		v := signedInView(s, "Your data", "data", &dataPage{Available: true})
		v.Error = "Type “" + deleteConfirmation + "” to confirm; nothing was deleted."
		h.render(w, r, http.StatusUnprocessableEntity, "data", v)
		return
	}
	if err := h.data.DeleteAccount(r, s.sess); err != nil {
		if launchpad.ErrorCode(err) == launchpad.ESTEPUP {
			http.Redirect(w, r, "/security?done=step_up_required#step-up", http.StatusSeeOther)
			return
		}
		h.failed(w, r, err)
		return
	}
	h.clearCookie(w, h.cookies.session)
	http.Redirect(w, r, "/signin?done=account_deleted", http.StatusSeeOther)
}
