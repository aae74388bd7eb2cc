package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// fakeData is AccountData over the fake auth: the export names the user, a deletion needs
// the step-up and signs the user out everywhere.
type fakeData struct {
	auth    *fakeAuth
	deleted []string
}

func (d *fakeData) Export(r *http.Request, userID string) (any, error) {
	return map[string]string{"user_id": userID, "format": "test-export"}, nil
}

func (d *fakeData) DeleteAccount(r *http.Request, sess *launchpad.Session) error {
	if err := d.auth.RequireStepUp(sess); err != nil {
		return err
	}
	d.deleted = append(d.deleted, sess.UserID)
	d.auth.revokeUser(sess.UserID)
	return nil
}

// TestYourDataPageExportsAndDeletes: the page offers the download and the deletion; the
// download is an attachment; a deletion without the typed confirmation deletes nothing; an
// old sign-in is sent to confirm it is them; a confirmed deletion signs the browser out.
func TestYourDataPageExportsAndDeletes(t *testing.T) {
	e := newEnv(t)
	data := &fakeData{auth: e.auth}
	e.h.data = data
	b := e.browser()
	b.signIn("dora@example.com")

	p := b.get("/data").mustStatus(t, http.StatusOK)
	for _, want := range []string{`href="/data/export"`, `action="/data/delete"`, `aria-current="page">Your data`} {
		if !strings.Contains(p.body, want) {
			t.Fatalf("the data page lacks %q:\n%s", want, p.body)
		}
	}
	tok := p.csrf(t)
	ex := b.get("/data/export").mustStatus(t, http.StatusOK)
	if !strings.Contains(ex.header.Get("Content-Disposition"), "attachment") || !strings.Contains(ex.body, "test-export") {
		t.Fatalf("the export download: %v\n%s", ex.header, ex.body)
	}

	b.post("/data/delete", url.Values{"csrf_token": {tok}, "confirm": {"yes"}}).mustStatus(t, http.StatusUnprocessableEntity)
	b.post("/data/delete", url.Values{"confirm": {deleteConfirmation}}).mustStatus(t, http.StatusForbidden) // no CSRF token
	e.auth.age()
	b.post("/data/delete", url.Values{"csrf_token": {tok}, "confirm": {deleteConfirmation}}).mustRedirect(t, "/security?done=step_up_required#step-up")
	if len(data.deleted) != 0 {
		t.Fatalf("deleted %v without a confirmation or a recent sign-in", data.deleted)
	}

	b2 := e.browser()
	b2.signIn("dora@example.com")
	tok2 := b2.get("/data").mustStatus(t, http.StatusOK).csrf(t)
	b2.post("/data/delete", url.Values{"csrf_token": {tok2}, "confirm": {deleteConfirmation}}).mustRedirect(t, "/signin?done=account_deleted")
	if len(data.deleted) != 1 {
		t.Fatalf("deletions: %v, want one", data.deleted)
	}
	if b2.get("/data").status == http.StatusOK {
		t.Fatal("the deleted account's browser still sees the data page")
	}
}
