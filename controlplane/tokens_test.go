package controlplane

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
)

func TestForgedAndExpiredTokensAreRefused(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	tok := c.signIn("ada@example.com")
	userID := c.me(tok.AccessToken).User.ID
	key := env.srv.tokens.keys[0]
	now := env.clock.Now()
	claims := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": env.srv.cfg.PublicURL, "aud": audienceAccess, "sub": userID,
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
		"wrong audience":  sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("aud", audienceMFA)),
		"no audience":     sign(jwt.SigningMethodHS256, key.Key, key.ID, without("aud")),
		"bad subject":     sign(jwt.SigningMethodHS256, key.Key, key.ID, withClaim("sub", "../etc")),
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

// Tokens signed before a PLATFORM_SECRET rotation stay valid while the old secret is
// PLATFORM_SECRET_PREVIOUS, and new ones are signed with the new key.
func TestTokensSurviveSecretRotation(t *testing.T) {
	oldRing, _ := envelope.NewKeyring(testSecret, "")
	newRing, err := envelope.NewKeyring("the-next-platform-secret-0123456789-abcdefgh", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	before := &tokenIssuer{keys: oldRing.Derive("session-signing"), issuer: "http://x", now: clock.Now}
	after := &tokenIssuer{keys: newRing.Derive("session-signing"), issuer: "http://x", now: clock.Now}
	tok, err := before.sign(audienceAccess, "user1", "fam", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := after.parse(tok, audienceAccess); err != nil {
		t.Fatalf("old token refused after rotation: %v", err)
	}
	fresh, _ := after.sign(audienceAccess, "user1", "fam", time.Minute)
	if _, err := before.parse(fresh, audienceAccess); err == nil {
		t.Fatal("a server without the new secret accepted a token signed with it")
	}
	// Sign-in codes too: a MAC made under the old key matches under the rotated keyring.
	s := &Server{codeKeys: newRing.Derive("signin-code")}
	mac := signInCodeMAC(oldRing.Derive("signin-code")[0].Key, "ada@example.com", "123456")
	if !s.codeMatcher("ada@example.com", "123456")(mac) || s.codeMatcher("ada@example.com", "123457")(mac) || s.codeMatcher("bob@example.com", "123456")(mac) {
		t.Fatal("code MAC does not survive rotation, or matches the wrong code or address")
	}
}

func TestSignInCodesAreUniform(t *testing.T) {
	var digits [6][10]int
	const n = 20000
	for range n {
		c := newSignInCode()
		if len(c) != 6 {
			t.Fatalf("code %q", c)
		}
		for i, d := range c {
			digits[i][d-'0']++
		}
	}
	// Each digit position should be close to n/10 per value; 4.5 standard deviations of slack.
	for i := range digits {
		for d, got := range digits[i] {
			if got < 1800 || got > 2200 {
				t.Errorf("position %d digit %d seen %d times out of %d", i, d, got, n)
			}
		}
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}
