package controlplane

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
)

// revokedWithin is how soon a revoked session's access tokens must be refused, on the
// replica that revoked it and on every other.
const revokedWithin = time.Second

// A logged-out access token gets 401 within a second; so do the tokens of a family revoked
// for refresh-token reuse and of the sessions signed out by another one.
func TestRevokedAccessTokensAreRefusedWithinASecond(t *testing.T) {
	env := newTestEnv(t)
	const email = "ada@example.com"
	c, tok, _ := env.signedIn("laptop", email)
	mustStatus(t, c.get("/api/me", tok.AccessToken), http.StatusOK)

	mustStatus(t, c.post("/api/auth/logout", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusOK)
	took := waitFor(t, "the logged-out access token to get 401", revokedWithin, func() bool {
		return c.get("/api/me", tok.AccessToken).status == http.StatusUnauthorized
	})
	t.Logf("logout: refused after %s", took)
	if r := c.get("/api/me", tok.AccessToken); r.errorCode(t) != "unauthorized" {
		t.Fatalf("after logout: %s", r.body)
	}

	// Reuse of a rotated refresh token revokes its family: the access tokens of both the
	// old and the new pair are refused.
	tok = c.signIn(email)
	r := c.post("/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken})
	mustStatus(t, r, http.StatusOK)
	var next TokenResponse
	r.decode(t, &next)
	mustStatus(t, c.get("/api/me", next.AccessToken), http.StatusOK)
	mustStatus(t, c.post("/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
	waitFor(t, "the reused family's access tokens to get 401", revokedWithin, func() bool {
		return c.get("/api/me", next.AccessToken).status == http.StatusUnauthorized &&
			c.get("/api/me", tok.AccessToken).status == http.StatusUnauthorized
	})

	// Signing the other sessions out: theirs are refused, the caller's is not.
	laptop := c.signIn(email)
	phone := env.newClient("phone")
	pt := phone.signIn(email)
	mustStatus(t, phone.get("/api/me", pt.AccessToken), http.StatusOK)
	mustStatus(t, c.do(http.MethodPost, "/api/auth/sessions/revoke-others", laptop.AccessToken, nil), http.StatusOK)
	waitFor(t, "the other session's access token to get 401", revokedWithin, func() bool {
		return phone.get("/api/me", pt.AccessToken).status == http.StatusUnauthorized
	})
	mustStatus(t, c.get("/api/me", laptop.AccessToken), http.StatusOK)
	mustStatus(t, phone.post("/api/auth/refresh", map[string]string{"refresh_token": pt.RefreshToken}), http.StatusUnauthorized)
}

// Two replicas on one store: a session signed out on one is refused by the other within a
// second, though the other has just seen (and cached) it signed in.
func TestRevocationReachesAnotherReplicaWithinASecond(t *testing.T) {
	env := newTestEnv(t)
	// The second replica: its own server, its own connection to the same SQLite file.
	db2, keyring := openTestStore(t, env.dbPath, env.clock)
	mailer, err := smtp.New(smtp.Config{URL: env.smtp.URL(), From: "Launchpad <launchpad@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	logs := &stacktest.Output{}
	replica2, err := New(Config{Addr: "127.0.0.1:0", Limits: noLimits()}, Deps{Store: db2, Keyring: keyring, Mailer: mailer,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)), Now: env.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := replica2.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = replica2.Close() })
	c := env.newClient("laptop")
	on2 := func(token string) int {
		r, err := exchange(c.hc, replica2.URL(), http.MethodGet, "/api/me", token, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r.status
	}

	for i, revoke := range []struct {
		name string
		do   func(tok *TokenResponse, email string)
	}{
		{"logout", func(tok *TokenResponse, _ string) {
			mustStatus(t, c.post("/api/auth/logout", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusOK)
		}},
		{"sign out the other sessions", func(tok *TokenResponse, email string) {
			other := env.newClient("other").signIn(email)
			mustStatus(t, c.do(http.MethodPost, "/api/auth/sessions/revoke-others", other.AccessToken, nil), http.StatusOK)
		}},
		{"refresh-token reuse", func(tok *TokenResponse, _ string) {
			mustStatus(t, c.post("/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusOK)
			mustStatus(t, c.post("/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
		}},
	} {
		t.Run(revoke.name, func(t *testing.T) {
			email := fmt.Sprintf("user%d@example.com", i) // one account each: no new-device mail in between
			tok := c.signIn(email)
			if s := on2(tok.AccessToken); s != http.StatusOK { // replica 2 now has the family cached
				t.Fatalf("replica 2 refused a fresh token: %d", s)
			}
			revoke.do(tok, email) // on replica 1
			took := waitFor(t, "replica 2 to refuse the revoked access token", revokedWithin, func() bool {
				return on2(tok.AccessToken) == http.StatusUnauthorized
			})
			t.Logf("replica 2 refused it after %s (cache TTL %s)", took, auth.FamilyCacheTTL)
		})
	}

	// A step-up on replica 1 reaches replica 2 too: the access token the client already had
	// counts as recently signed in there within a second.
	t.Run("step-up", func(t *testing.T) {
		const email = "stepper@example.com"
		tok := c.signIn(email)
		env.clock.Advance(DefaultStepUpWindow + time.Second)
		revokeOthers := func() int {
			r, err := exchange(c.hc, replica2.URL(), http.MethodPost, "/api/auth/sessions/revoke-others", tok.AccessToken, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r.status
		}
		if s := revokeOthers(); s != http.StatusForbidden {
			t.Fatalf("replica 2 let a stale session sign the others out: %d", s)
		}
		code, _ := c.stepUpCode(tok.AccessToken, email, 1)
		mustStatus(t, c.do(http.MethodPost, "/api/auth/step-up/verify", tok.AccessToken, map[string]string{"code": code}), http.StatusOK)
		took := waitFor(t, "replica 2 to see the step-up", revokedWithin, func() bool { return revokeOthers() == http.StatusOK })
		t.Logf("replica 2 saw the step-up after %s", took)
	})
}
