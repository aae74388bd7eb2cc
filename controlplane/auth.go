package controlplane

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// principal is who is calling: a signed-in user or the operator holding the admin token.
type principal struct {
	UserID string // set for users
	Admin  bool
	// caller is the user's proof (session family, time of the last sign-in or step-up), for
	// the actions that need a recent one (requireStepUp).
	caller auth.Caller
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

// requireUser lets through requests with a valid access token of a session that is still
// signed in (auth.Service.Authenticate: a logged-out or revoked session's tokens are refused
// within auth.FamilyCacheTTL on every replica) and puts the user in the context
// (principalFrom, callerFrom). Other ways to sign in (a dashboard session cookie) belong
// here too.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		if tok == "" {
			s.writeError(w, r, launchpad.Errorf(launchpad.EUNAUTHORIZED, "sign in first: send Authorization: Bearer <access_token>"))
			return
		}
		who, err := s.auth.Authenticate(r.Context(), clientOf(r), tok)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, &principal{UserID: who.UserID, caller: who})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// callerFrom is the signed-in user of a request that passed requireUser, with the session
// it came from and when it last proved who it is (for auth.Service.RequireStepUp).
func callerFrom(ctx context.Context) auth.Caller { return principalFrom(ctx).caller }

// requireStepUp lets through, after requireUser, only callers who signed in or stepped up
// within Config.StepUpWindow; the others get 403 step_up_required, whose message names the
// step-up endpoints (auth.Service.RequireStepUp). Wrap every security-sensitive route in it:
//
//	s.requireUser(s.requireStepUp(handleJSON(...)))
//
// A handler that decides by its input whether it needs a step-up calls
// s.auth.RequireStepUp(callerFrom(ctx)) itself.
func (s *Server) requireStepUp(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.auth.RequireStepUp(callerFrom(r.Context())); err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
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
