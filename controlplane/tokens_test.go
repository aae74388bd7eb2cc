package controlplane

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
)

// The audiences of access and MFA tokens, as they appear in the tokens' aud claim.
const (
	accessAudience = "launchpad-api"
	mfaAudience    = "launchpad-mfa"
)

func TestForgedAndExpiredTokensAreRefused(t *testing.T) {
	env := newTestEnv(t)
	c, tok, userID := env.signedIn("test", "ada@example.com")
	ring, err := envelope.NewKeyring(testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	key := ring.Derive("session-signing")[0] // the key the server signs access tokens with
	now := env.clock.Now()
	family := familyOf(t, tok.AccessToken)
	claims := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": env.srv.cfg.PublicURL, "aud": accessAudience, "sub": userID, "fam": family,
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}
	sign := func(m jwt.SigningMethod, k any, kid string, cl jwt.MapClaims) string {
		tk := jwt.NewWithClaims(m, cl)
		if kid != "" {
			tk.Header["kid"] = kid
		}
		s, err := tk.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	other, err := envelope.NewKeyring("another-platform-secret-0123456789-abcdefghij", "")
	if err != nil {
		t.Fatal(err)
	}
	otherKey := other.Derive("session-signing")[0]

	// The control: a token we build the right way is accepted.
	if r := c.get("/api/me", sign(jwt.SigningMethodHS256, key.Key, key.ID, claims())); r.status != http.StatusOK {
		t.Fatalf("well-formed token refused: %s", r.body)
	}
	withClaim := func(k string, v any) jwt.MapClaims { cl := claims(); cl[k] = v; return cl }
	without := func(k string) jwt.MapClaims { cl := claims(); delete(cl, k); return cl }
	cases := map[string]string{
		"alg none":        sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, key.ID, claims()),
		"another secret":  sign(jwt.SigningMethodHS256, otherKey.Key, key.ID, claims()),
		"another kid":     sign(jwt.SigningMethodHS256, otherKey.Key, otherKey.ID, claims()),
		"no kid":          sign(jwt.SigningMethodHS256, key.Key, "", claims()),
		"HS512 right key": sign(jwt.SigningMethodHS512, key.Key, key.ID, claims()),
		"HS384 right key": sign(jwt.SigningMethodHS384, key.Key, key.ID, claims()),
		"expired":         sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("exp", now.Add(-time.Second).Unix())),
		"no exp":          sign(jwt.SigningMethodHS256, key.Key, key.ID, without("exp")),
		"issued later":    sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("iat", now.Add(time.Hour).Unix())),
		"wrong issuer":    sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("iss", "https://evil.example")),
		"wrong audience":  sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("aud", mfaAudience)),
		"no audience":     sign(jwt.SigningMethodHS256, key.Key, key.ID, without("aud")),
		"bad subject":     sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("sub", "../etc")),
		"no family":       sign(jwt.SigningMethodHS256, key.Key, key.ID, without("fam")),
		"unknown family":  sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("fam", "no-such-family")),
		"another's user":  sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("sub", "someoneelse")),
		"garbage":         "not.a.jwt",
		"tampered":        tok.AccessToken[:len(tok.AccessToken)-2] + flip(tok.AccessToken[len(tok.AccessToken)-2:]),
	}
	for name, forged := range cases {
		r := c.get("/api/me", forged)
		if r.status != http.StatusUnauthorized || r.errorCode(t) != "unauthorized" {
			t.Errorf("%s: status %d %s", name, r.status, r.body)
		}
	}
	mustStatus(t, c.do(http.MethodGet, "/api/me", "", nil), http.StatusUnauthorized)

	// The real access token expires with the clock.
	mustStatus(t, c.get("/api/me", tok.AccessToken), http.StatusOK)
	env.clock.Advance(DefaultAccessTokenTTL + time.Second)
	r := c.get("/api/me", tok.AccessToken)
	mustStatus(t, r, http.StatusUnauthorized)
	if !strings.Contains(string(r.body), "expired") {
		t.Fatalf("expired token message: %s", r.body)
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// familyOf is the session family (fam claim) of an access token, read without checking it.
func familyOf(t *testing.T, token string) string {
	t.Helper()
	var claims struct {
		jwt.RegisteredClaims
		Family string `json:"fam"`
	}
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil || claims.Family == "" {
		t.Fatalf("no family in the access token: %v", err)
	}
	return claims.Family
}
