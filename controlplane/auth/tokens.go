package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Audiences keep the two kinds of signed token apart: an MFA token (issued after the email
// code, before the second factor) is not an access token, and the other way round.
const (
	audienceAccess = "launchpad-api"
	audienceMFA    = "launchpad-mfa"
)

// tokenIssuer signs and checks JWTs (github.com/golang-jwt/jwt/v5), HS256 under keys derived
// from the platform secret for "session-signing". It signs with the current key, naming it in
// the kid header, and accepts any key of the keyring, so rotating PLATFORM_SECRET (with
// PLATFORM_SECRET_PREVIOUS set) signs nobody out.
type tokenIssuer struct {
	keys   []envelope.DerivedKey
	issuer string
	now    func() time.Time
}

// tokenClaims are the registered claims plus, in an access token, the refresh-token family
// it was issued for (fam: every request checks that the family is still signed in) and when
// the user last proved who they are in that family (auth_time, as OpenID Connect names it:
// the sign-in or a later step-up; a refresh keeps it).
type tokenClaims struct {
	jwt.RegisteredClaims
	Family   string           `json:"fam,omitempty"`
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
}

// sign issues a token for audience. Every token has a random jti (an MFA token's is spent by
// its one use); family and authTime are set for access tokens only.
func (t *tokenIssuer) sign(audience, subject, family string, authTime time.Time, ttl time.Duration) (string, error) {
	now := t.now()
	claims := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        launchpad.NewID(20),
		},
		Family: family,
	}
	if !authTime.IsZero() {
		claims.AuthTime = jwt.NewNumericDate(authTime)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = t.keys[0].ID
	return tok.SignedString(t.keys[0].Key)
}

// parse checks raw as a token for audience: HS256 only (so "none", RS256 and HS512 are all
// refused), a known kid, our issuer, an unexpired exp, an iat not in the future, and a
// well-formed subject. Every failure is EUNAUTHORIZED; the message says whether refreshing
// can help.
func (t *tokenIssuer) parse(raw, audience string) (*tokenClaims, error) {
	var claims tokenClaims
	_, err := jwt.ParseWithClaims(raw, &claims, t.key,
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired) && audience == audienceMFA:
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the sign-in took too long; start again with a new email code")
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the access token has expired; get a new one from POST /api/auth/refresh")
	case err != nil:
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the token is not valid; sign in again")
	case launchpad.ValidateUserID(claims.Subject) != nil:
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the token is not valid; sign in again")
	}
	return &claims, nil
}

func (t *tokenIssuer) key(tok *jwt.Token) (any, error) {
	kid, _ := tok.Header["kid"].(string)
	for _, k := range t.keys {
		if k.ID == kid {
			return k.Key, nil
		}
	}
	return nil, errors.New("unknown key id")
}

// Refresh tokens are 32 random bytes, base64url, behind a prefix that secret scanners can
// match. The store keeps only their SHA-256: the token has 256 bits of entropy, so a fast
// hash is enough, and a stolen database yields no usable token.
const refreshTokenPrefix = "lprt_"

func newRefreshToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	token = refreshTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashRefreshToken(token)
}

func hashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
