package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// fakeAuth is an Auth for the tests of this package's own behaviour (headers, cookies,
// forms, redirects): sessions in memory, users in the real store, one fixed code per
// address. The browser tests use the control plane's real Auth.
type fakeAuth struct {
	store launchpad.Store
	now   func() time.Time

	mu       sync.Mutex
	codes    map[string]string             // email → the code that works
	sessions map[string]*launchpad.Session // refresh token → session
	mfa      map[string]string             // MFA token → user id
	sent     []string                      // addresses SendCode was called with
}

func newFakeAuth(st launchpad.Store, now func() time.Time) *fakeAuth {
	return &fakeAuth{store: st, now: now, codes: map[string]string{}, sessions: map[string]*launchpad.Session{}, mfa: map[string]string{}}
}

var _ Auth = (*fakeAuth)(nil)

func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (a *fakeAuth) SendCode(r *http.Request, email string) error {
	email, err := launchpad.CanonicalEmail(email)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent = append(a.sent, email)
	a.codes[email] = "314159"
	return nil
}

func (a *fakeAuth) VerifyCode(w http.ResponseWriter, r *http.Request, email, code string) (*SignIn, error) {
	a.mu.Lock()
	want := a.codes[email]
	a.mu.Unlock()
	if want == "" || strings.TrimSpace(code) != want {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the code is wrong, expired or already used")
	}
	u, err := a.store.GetUserByEmail(r.Context(), email)
	if launchpad.IsNotFound(err) {
		u = &launchpad.User{ID: launchpad.NewID(20), Email: email, Plan: launchpad.TrialPlan}
		err = a.store.CreateUser(r.Context(), u)
	}
	if err != nil {
		return nil, err
	}
	if u.MFA.Enabled() {
		tok := randomToken("mfa_")
		a.mu.Lock()
		a.mfa[tok] = u.ID
		a.mu.Unlock()
		return &SignIn{MFAToken: tok}, nil
	}
	return &SignIn{RefreshToken: a.open(u.ID, r.UserAgent())}, nil
}

func (a *fakeAuth) open(userID, ua string) string {
	tok := randomToken("lprt_")
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	a.sessions[tok] = &launchpad.Session{ID: launchpad.NewID(20), UserID: userID, FamilyID: launchpad.NewID(20), UserAgent: ua,
		CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour), AuthTime: now}
	return tok
}

func (a *fakeAuth) VerifySecondFactor(w http.ResponseWriter, r *http.Request, mfaToken, code, recoveryCode string) (*SignIn, error) {
	a.mu.Lock()
	userID := a.mfa[mfaToken]
	a.mu.Unlock()
	if userID == "" || code != "271828" {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the authenticator code is wrong or was already used")
	}
	return &SignIn{RefreshToken: a.open(userID, r.UserAgent())}, nil
}

func (a *fakeAuth) Session(ctx context.Context, refreshToken string) (*launchpad.Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[refreshToken]
	if s == nil || !s.Active(a.now()) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the session has ended; sign in again")
	}
	c := *s
	return &c, nil
}

func (a *fakeAuth) Seen(r *http.Request, sess *launchpad.Session) {}

func (a *fakeAuth) Sessions(ctx context.Context, userID string) ([]*launchpad.Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*launchpad.Session
	for _, s := range a.sessions {
		if s.UserID == userID && s.Active(a.now()) {
			c := *s
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *launchpad.Session) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

func (a *fakeAuth) Devices(ctx context.Context, userID string) ([]*launchpad.Device, error) {
	return a.store.ListDevices(ctx, userID)
}

func (a *fakeAuth) SignOut(r *http.Request, refreshToken string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.sessions[refreshToken]; s != nil {
		s.RevokedAt = a.now()
	}
	return nil
}

// fakeStepUpWindow is the fake's step-up window; its confirmation code is fakeStepUpCode.
const (
	fakeStepUpWindow = 5 * time.Minute
	fakeStepUpCode   = "161803"
)

func (a *fakeAuth) RequireStepUp(sess *launchpad.Session) error {
	if a.StepUpUntil(sess).IsZero() {
		return launchpad.Errorf(launchpad.ESTEPUP, "this action needs a sign-in from the last 5 minutes; confirm it is you: POST /api/auth/step-up …")
	}
	return nil
}

func (a *fakeAuth) StepUpUntil(sess *launchpad.Session) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.sessions { // the stored session: a step-up changes it
		if s.FamilyID == sess.FamilyID && !s.AuthTime.IsZero() && a.now().Sub(s.AuthTime) < fakeStepUpWindow {
			return s.AuthTime.Add(fakeStepUpWindow)
		}
	}
	return time.Time{}
}

func (a *fakeAuth) StepUpWindow() time.Duration { return fakeStepUpWindow }

func (a *fakeAuth) StartStepUp(r *http.Request, sess *launchpad.Session) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent = append(a.sent, "step-up:"+sess.UserID)
	return nil
}

func (a *fakeAuth) VerifyStepUp(r *http.Request, sess *launchpad.Session, code, totpCode, recoveryCode string) error {
	if strings.TrimSpace(code) != fakeStepUpCode {
		return launchpad.Errorf(launchpad.EUNAUTHORIZED, "the code is wrong, expired or already used")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.sessions {
		if s.FamilyID == sess.FamilyID {
			s.AuthTime = a.now()
		}
	}
	return nil
}

// age makes every session's last sign-in older than the step-up window.
func (a *fakeAuth) age() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.sessions {
		s.AuthTime = a.now().Add(-2 * fakeStepUpWindow)
	}
}

func (a *fakeAuth) SignOutEverywhere(r *http.Request, sess *launchpad.Session) error {
	if err := a.RequireStepUp(sess); err != nil {
		return err
	}
	a.revokeUser(sess.UserID)
	return nil
}

// revokeUser ends every session of the user.
func (a *fakeAuth) revokeUser(userID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.sessions {
		if s.UserID == userID {
			s.RevokedAt = a.now()
		}
	}
}

func (a *fakeAuth) SignOutSession(r *http.Request, sess *launchpad.Session, familyID string) error {
	if familyID != sess.FamilyID {
		if err := a.RequireStepUp(sess); err != nil {
			return err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	found := false
	for _, s := range a.sessions {
		if s.UserID == sess.UserID && s.FamilyID == familyID {
			s.RevokedAt, found = a.now(), true
		}
	}
	if !found {
		return launchpad.Errorf(launchpad.ENOTFOUND, "you have no such session")
	}
	return nil
}

func (a *fakeAuth) EnrolTOTP(r *http.Request, sess *launchpad.Session) (*TOTPEnrolment, error) {
	if err := a.RequireStepUp(sess); err != nil {
		return nil, err
	}
	return &TOTPEnrolment{OTPAuthURL: "otpauth://totp/Launchpad:x?secret=JBSWY3DPEHPK3PXP&issuer=Launchpad", RecoveryCodes: []string{"aaaa-bbbb-cccc-dddd"}}, nil
}

func (a *fakeAuth) ConfirmTOTP(r *http.Request, sess *launchpad.Session, code string) error {
	if err := a.RequireStepUp(sess); err != nil {
		return err
	}
	return launchpad.Errorf(launchpad.EUNAUTHORIZED, "the authenticator code is wrong or was already used; wait for the next one")
}

func (a *fakeAuth) DisableTOTP(r *http.Request, sess *launchpad.Session) error {
	if err := a.RequireStepUp(sess); err != nil {
		return err
	}
	return launchpad.Errorf(launchpad.EINVALID, "two-factor authentication is not on")
}

func (a *fakeAuth) RegenerateRecoveryCodes(r *http.Request, sess *launchpad.Session) ([]string, error) {
	if err := a.RequireStepUp(sess); err != nil {
		return nil, err
	}
	return []string{"eeee-ffff-gggg-hhhh"}, nil
}

// activeSessions counts the sessions that are still active.
func (a *fakeAuth) activeSessions() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, s := range a.sessions {
		if s.Active(a.now()) {
			n++
		}
	}
	return n
}

func (a *fakeAuth) sentCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.sent)
}

// sessionsOf lists the active sessions of the user with email.
func (a *fakeAuth) sessionsOf(email string, e *env) []*launchpad.Session {
	e.t.Helper()
	u, err := a.store.GetUserByEmail(e.t.Context(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	list, err := a.Sessions(e.t.Context(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}
