package controlplane

import (
	"context"
	"net/http"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	env := newTestEnv(t)
	c, first, userID := env.signedIn("test", "ada@example.com")
	refresh := func(token string) *response {
		return c.post("/api/auth/refresh", map[string]string{"refresh_token": token})
	}

	r := refresh(first.RefreshToken)
	mustStatus(t, r, http.StatusOK)
	var second TokenResponse
	r.decode(t, &second)
	r = refresh(second.RefreshToken)
	mustStatus(t, r, http.StatusOK)
	var third TokenResponse
	r.decode(t, &third)

	// A second, independent sign-in (another family) must survive the reuse below.
	other := env.newClient("other").signIn("ada@example.com")

	// The first token again: someone kept a copy. The whole family goes.
	r = refresh(first.RefreshToken)
	mustStatus(t, r, http.StatusUnauthorized)
	if r.errorCode(t) != launchpad.EUNAUTHORIZED {
		t.Fatal(string(r.body))
	}
	mustStatus(t, refresh(third.RefreshToken), http.StatusUnauthorized)
	mustStatus(t, refresh(other.RefreshToken), http.StatusOK)

	if got := count(env.auditActions(userID), launchpad.AuditRefreshReuse); got != 1 {
		t.Fatalf("want one refresh-reuse audit event, got %v", env.auditActions(userID))
	}
	sessions, err := env.store.ListSessions(context.Background(), userID, env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 {
		t.Fatalf("want only the other family's new session active, got %d", len(sessions))
	}

	for _, bad := range []string{"", "not-a-token", "lprt_AAAA", "lprt_" + string(make([]byte, 200))} {
		r := refresh(bad)
		if r.status != http.StatusUnauthorized && r.status != http.StatusBadRequest {
			t.Errorf("refresh(%q) = %d", bad, r.status)
		}
	}
	env.assertLogsFree(first.RefreshToken, second.RefreshToken, third.RefreshToken, other.RefreshToken)
}

func TestRefreshTokenExpires(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	tok := c.signIn("ada@example.com")
	env.clock.Advance(DefaultRefreshTokenTTL)
	mustStatus(t, c.post("/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
}

func TestLogoutIsIdempotentAndRevokesTheFamily(t *testing.T) {
	env := newTestEnv(t)
	c, tok, userID := env.signedIn("test", "ada@example.com")
	mustStatus(t, c.post("/api/auth/logout", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusOK)
	mustStatus(t, c.post("/api/auth/logout", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusOK)
	mustStatus(t, c.post("/api/auth/logout", map[string]string{"refresh_token": "lprt_unknown"}), http.StatusUnauthorized)
	mustStatus(t, c.post("/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
	if n := count(env.auditActions(userID), launchpad.AuditLogout); n != 1 {
		t.Fatalf("want one logout event, got %v", env.auditActions(userID))
	}
}
