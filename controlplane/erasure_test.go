package controlplane

import (
	"net/http"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestDeleteMeNeedsAStepUp: a session older than the step-up window is refused with
// step_up_required and nothing changes; after a step-up the deletion is accepted, the
// request is audited and every session of the user ends.
func TestDeleteMeNeedsAStepUp(t *testing.T) {
	env := newTestEnv(t)
	const email = "gus@example.com"
	laptop, lt, userID := env.signedIn("laptop", email)

	env.clock.Advance(DefaultStepUpWindow + time.Second)
	wantStepUpRequired(t, laptop.do(http.MethodDelete, "/api/me", lt.AccessToken, nil))
	if u, err := env.store.GetUser(t.Context(), userID); err != nil || !u.Control.ErasureRequestedAt.IsZero() {
		t.Fatalf("after a refused deletion: %+v, %v; want the account untouched", u, err)
	}

	code, _ := laptop.stepUpCode(lt.AccessToken, email, 1)
	r := laptop.do(http.MethodPost, "/api/auth/step-up/verify", lt.AccessToken, map[string]string{"code": code})
	mustStatus(t, r, http.StatusOK)
	var up StepUpVerifyResponse
	r.decode(t, &up)
	r = laptop.do(http.MethodDelete, "/api/me", up.AccessToken, nil)
	mustStatus(t, r, http.StatusAccepted)
	var dr DeletionResponse
	r.decode(t, &dr)
	if dr.Status != "deleting" || dr.Job == nil || dr.Job.Kind != launchpad.JobErasure {
		t.Fatalf("DELETE /api/me answered %s", r.body)
	}
	u, err := env.store.GetUser(t.Context(), userID)
	if err != nil || u.Control.ErasureRequestedAt.IsZero() {
		t.Fatalf("after the deletion was accepted: %+v, %v; want it marked", u, err)
	}
	events, err := env.store.ListAudit(t.Context(), launchpad.AuditFilter{Stream: userID, Newest: true, Limit: 1})
	if err != nil || len(events) != 1 || events[0].Action != launchpad.AuditAccountDeletionRequested || events[0].Actor != launchpad.UserActor(userID) {
		t.Fatalf("the user's newest audit event: %+v, %v", events, err)
	}
	waitFor(t, "the session to be refused", 2*time.Second, func() bool {
		return laptop.get("/api/me", up.AccessToken).status == http.StatusUnauthorized
	})
	mustStatus(t, laptop.post("/api/auth/refresh", map[string]string{"refresh_token": lt.RefreshToken}), http.StatusUnauthorized)
}
