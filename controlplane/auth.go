package controlplane

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// principal is who is calling: a signed-in user or the operator holding the admin token.
type principal struct {
	UserID string // set for users
	Admin  bool
}

type principalKey struct{}

func principalFrom(ctx context.Context) *principal {
	if p, ok := ctx.Value(principalKey{}).(*principal); ok {
		return p
	}
	return &principal{}
}

// bearer returns the token of an "Authorization: Bearer …" header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// requireUser lets through requests with a valid access token and puts the user in the
// context (principalFrom). Other ways to sign in (a dashboard session cookie) belong here too.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		if tok == "" {
			s.writeError(w, r, launchpad.Errorf(launchpad.EUNAUTHORIZED, "sign in first: send Authorization: Bearer <access_token>"))
			return
		}
		userID, err := s.auth.Authenticate(tok)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, &principal{UserID: userID})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireAdmin lets through requests bearing LAUNCHPAD_ADMIN_TOKEN. Both sides are hashed
// before the constant-time comparison so that neither the content nor the length of the
// token leaks through timing.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken == "" {
			s.writeError(w, r, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the admin API is disabled; set LAUNCHPAD_ADMIN_TOKEN to enable it"))
			return
		}
		got := sha256.Sum256([]byte(bearer(r)))
		want := sha256.Sum256([]byte(s.cfg.AdminToken))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			s.writeError(w, r, launchpad.Errorf(launchpad.EUNAUTHORIZED, "send Authorization: Bearer <LAUNCHPAD_ADMIN_TOKEN>"))
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, &principal{Admin: true})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
