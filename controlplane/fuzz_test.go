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

	"github.com/pquerna/otp/totp"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// fuzzTarget is a server for fuzzing one JSON handler in-process, with a user who has
// confirmed TOTP and a pending sign-in code, another whose TOTP awaits confirmation, and
// valid tokens to seed the corpus with.
type fuzzTarget struct {
	srv          *Server
	accessToken  string
	mfaToken     string
	refreshToken string
	totpCode     string
}

const fuzzCode = "123456"

func newFuzzTarget(f *testing.F) *fuzzTarget {
	f.Helper()
	ctx := context.Background()
	clock := newFakeClock() // never advanced: tokens stay valid for the whole run
	db, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"), sqlite.Options{Now: clock.Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	keyring, err := envelope.NewKeyring(testSecret, "")
	if err != nil {
		f.Fatal(err)
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Limits: noLimits(), AdminToken: "fuzz-admin-token-0123456789-abcdefgh"},
		Deps{Store: db, Keyring: keyring, Mailer: smtp.NewLogMailer(discardLogger()), Now: clock.Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })

	// A user with TOTP on, a pending code for their address, and a session.
	secret := "JBSWY3DPEHPK3PXP"
	sealed, err := keyring.Seal([]byte(secret), "fuzzuser")
	if err != nil {
		f.Fatal(err)
	}
	_, hashes := newRecoveryCodes("fuzzuser")
	if err := db.CreateUser(ctx, &launchpad.User{ID: "fuzzuser", Email: "fuzz@example.com", Plan: launchpad.TrialPlan,
		MFA: launchpad.MFA{SealedSecret: sealed, Confirmed: true, RecoveryCodes: hashes}}); err != nil {
		f.Fatal(err)
	}
	if err := db.PutSignInCode(ctx, &launchpad.SignInCode{Email: "fuzz@example.com", HMAC: signInCodeMAC(srv.codeKeys[0].Key, "fuzz@example.com", fuzzCode),
		CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}); err != nil {
		f.Fatal(err)
	}
	// A second user with TOTP enrolled but not confirmed, for the enrol and confirm handlers.
	sealedPlain, err := keyring.Seal([]byte(secret), "fuzzplain")
	if err != nil {
		f.Fatal(err)
	}
	if err := db.CreateUser(ctx, &launchpad.User{ID: "fuzzplain", Email: "plain@example.com", Plan: launchpad.TrialPlan,
		MFA: launchpad.MFA{SealedSecret: sealedPlain}}); err != nil {
		f.Fatal(err)
	}
	pair, err := srv.startSession(ctx, "fuzzplain", device{fingerprint: "f", userAgent: "fuzz"}, clock.Now())
	if err != nil {
		f.Fatal(err)
	}
	mfa, err := srv.tokens.sign(audienceMFA, "fuzzuser", "", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	code, err := totp.GenerateCode(secret, clock.Now())
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzTarget{srv: srv, accessToken: pair.AccessToken, mfaToken: mfa, refreshToken: pair.RefreshToken, totpCode: code}
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
	seed(f, `{"email":"fuzz@example.com","code":"`+fuzzCode+`"}`, `{"email":"fuzz@example.com","code":"000000"}`,
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
	seed(f, `{"code":"`+ft.totpCode+`"}`, `{"code":"00 00 00"}`, `{"code":123456}`)
	f.Fuzz(func(t *testing.T, body []byte) { ft.check(t, "/api/auth/mfa/totp/confirm", ft.accessToken, body) })
}
