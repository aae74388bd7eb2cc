package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// fuzzTarget is a server for fuzzing one JSON handler in-process, with a user who has
// confirmed TOTP and a pending sign-in code, another whose TOTP awaits confirmation, and
// valid tokens and codes to seed the corpus with.
type fuzzTarget struct {
	srv           *Server
	accessToken   string // the second user's session
	refreshToken  string
	mfaToken      string // the first user's sign-in, waiting for the second factor
	code          string // the first user's pending sign-in code
	totpCode      string // good once for the first user's second factor
	plainTOTPCode string // confirms the second user's enrolment
}

// fuzzAdminToken is the admin token of the fuzzed servers.
const fuzzAdminToken = "fuzz-admin-token-0123456789-abcdefgh"

// newFuzzServer is a server for in-process fuzzing: a fresh store, a fake clock, rate limits
// off, mail handed to the test, and users. deps, when set, adds dependencies before New.
func newFuzzServer(f *testing.F, deps func(*Deps), users ...*launchpad.User) (*Server, *sim.ManualClock, *codeMailer) {
	f.Helper()
	ctx := context.Background()
	clock := newTestClock()
	db, keyring := openTestStore(f, filepath.Join(f.TempDir(), "fuzz.db"), clock)
	mailer := newCodeMailer()
	d := Deps{Store: db, Keyring: keyring, Mailer: mailer, Now: clock.Now}
	if deps != nil {
		deps(&d)
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Limits: noLimits(), AdminToken: fuzzAdminToken}, d)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	for _, u := range users {
		if err := db.CreateUser(ctx, u); err != nil {
			f.Fatal(err)
		}
	}
	return srv, clock, mailer
}

func newFuzzTarget(f *testing.F) *fuzzTarget {
	f.Helper()
	ctx := context.Background()
	srv, clock, mailer := newFuzzServer(f, nil,
		&launchpad.User{ID: "fuzzuser", Email: "fuzz@example.com", Plan: launchpad.TrialPlan},
		&launchpad.User{ID: "fuzzplain", Email: "plain@example.com", Plan: launchpad.TrialPlan})

	// The first user turns TOTP on, signs in up to the second factor, and asks for one more
	// code, which stays pending.
	// Acting through the service, as a caller just signed in (of a session that does not exist).
	fuzzuser := auth.Caller{UserID: "fuzzuser", FamilyID: "fuzz-setup", AuthTime: clock.Now()}
	enrolled, err := srv.auth.EnrolTOTP(ctx, testClient, fuzzuser)
	if err != nil {
		f.Fatal(err)
	}
	if err := srv.auth.ConfirmTOTP(ctx, testClient, fuzzuser, totpCode(f, enrolled.Secret, clock.Now())); err != nil {
		f.Fatal(err)
	}
	// The next step, whose code is good once more. The clock stays there for the whole run,
	// so the tokens below stay valid.
	clock.Advance(30 * time.Second)
	ft := &fuzzTarget{srv: srv, totpCode: totpCode(f, enrolled.Secret, clock.Now())}
	ft.mfaToken = signInThrough(f, srv, mailer, "fuzz@example.com").MFAToken
	ft.code = requestCodeThrough(f, srv, mailer, "fuzz@example.com")

	// The second user has a session and a TOTP enrolment awaiting confirmation.
	session := signInThrough(f, srv, mailer, "plain@example.com")
	ft.accessToken, ft.refreshToken = session.AccessToken, session.RefreshToken
	pending, err := srv.auth.EnrolTOTP(ctx, testClient, auth.Caller{UserID: "fuzzplain", AuthTime: clock.Now()})
	if err != nil {
		f.Fatal(err)
	}
	ft.plainTOTPCode = totpCode(f, pending.Secret, clock.Now())
	return ft
}

// check sends body to path and fails on a 5xx or an answer that is not JSON.
func (ft *fuzzTarget) check(t *testing.T, path, token string, body []byte) {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	ft.srv.Handler().ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s answered %d for %q: %s", path, rec.Code, body, rec.Body.String())
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s answered non-JSON for %q: %q", path, body, rec.Body.String())
	}
	if rec.Code >= 400 {
		var e httpjson.ErrorBody
		if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s answered %d without a coded error: %s", path, rec.Code, rec.Body.String())
		}
	}
}

func seed(f *testing.F, bodies ...string) {
	for _, b := range append(bodies, "", "{}", "null", "[]", `{"x":1}`, "{", `"\u0000"`, `{"email":"a@example.com"}{}`) {
		f.Add([]byte(b))
	}
}

func FuzzSendVerification(f *testing.F) {
	ft := newFuzzTarget(f)
	seed(f, `{"email":"ada@example.com"}`, `{"email":"ADA@Example.com "}`, `{"email":"a@b"}`, `{"email":"a\r\n@example.com"}`, `{"email":1}`)
	f.Fuzz(func(t *testing.T, body []byte) { ft.check(t, "/api/auth/send-verification", "", body) })
}

func FuzzVerify(f *testing.F) {
	ft := newFuzzTarget(f)
	seed(f, `{"email":"fuzz@example.com","code":"`+ft.code+`"}`, `{"email":"fuzz@example.com","code":"000000"}`,
		`{"email":"nobody@example.com","code":"123 456"}`, `{"email":"fuzz@example.com","code":12}`)
	f.Fuzz(func(t *testing.T, body []byte) { ft.check(t, "/api/auth/verify", "", body) })
}

func FuzzVerifyMFA(f *testing.F) {
	ft := newFuzzTarget(f)
	seed(f, `{"mfa_token":"`+ft.mfaToken+`","code":"`+ft.totpCode+`"}`, `{"mfa_token":"`+ft.mfaToken+`","recovery_code":"abcd-efgh-jkmn-pqrs"}`,
		`{"mfa_token":"`+ft.mfaToken+`","code":"1","recovery_code":"2"}`, `{"mfa_token":"x.y.z","code":"000000"}`)
	f.Fuzz(func(t *testing.T, body []byte) { ft.check(t, "/api/auth/mfa/verify", "", body) })
}

func FuzzRefresh(f *testing.F) {
	ft := newFuzzTarget(f)
	seed(f, `{"refresh_token":"`+ft.refreshToken+`"}`, `{"refresh_token":"lprt_x"}`, `{"refresh_token":""}`)
	f.Fuzz(func(t *testing.T, body []byte) { ft.check(t, "/api/auth/refresh", "", body) })
}

func FuzzLogout(f *testing.F) {
	ft := newFuzzTarget(f)
	seed(f, `{"refresh_token":"`+ft.refreshToken+`"}`, `{"refresh_token":"lprt_x"}`)
	f.Fuzz(func(t *testing.T, body []byte) { ft.check(t, "/api/auth/logout", "", body) })
}

func FuzzEnrolTOTP(f *testing.F) {
	ft := newFuzzTarget(f)
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) { ft.check(t, "/api/auth/mfa/totp", ft.accessToken, body) })
}

func FuzzConfirmTOTP(f *testing.F) {
	ft := newFuzzTarget(f)
	seed(f, `{"code":"`+ft.plainTOTPCode+`"}`, `{"code":"00 00 00"}`, `{"code":123456}`)
	f.Fuzz(func(t *testing.T, body []byte) { ft.check(t, "/api/auth/mfa/totp/confirm", ft.accessToken, body) })
}
