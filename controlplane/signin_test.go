package controlplane

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestFullSignIn(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	const email = "ada@example.com"

	r := c.post("/api/auth/send-verification", map[string]string{"email": "  Ada@Example.COM "})
	mustStatus(t, r, http.StatusAccepted)
	if string(r.body) != "{\"status\":\"sent\"}\n" {
		t.Fatalf("body = %q", r.body)
	}
	m := env.nextMail(email)
	code := codeInMail.FindStringSubmatch(m.Body)[1]
	// The code is in the body only: not in the subject nor any other header.
	header := string(m.Raw[:strings.Index(string(m.Raw), "\r\n\r\n")])
	if strings.Contains(header, code) {
		t.Fatalf("the code appears in the mail headers:\n%s", header)
	}

	r = c.post("/api/auth/verify", map[string]string{"email": email, "code": code[:3] + " " + code[3:]})
	mustStatus(t, r, http.StatusOK)
	var tok TokenResponse
	r.decode(t, &tok)
	if tok.ExpiresIn != int(DefaultAccessTokenTTL.Seconds()) || !strings.HasPrefix(tok.RefreshToken, "lprt_") || tok.MFARequired {
		t.Fatalf("tokens = %+v", tok)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("token response is cacheable: %v", r.header)
	}

	me := c.me(tok.AccessToken)
	if me.User.Email != email || me.User.Plan != launchpad.TrialPlan || me.MFAEnabled || me.Subscription.Status != "none" || len(me.Tenants) != 0 {
		t.Fatalf("me = %+v", me)
	}
	if err := launchpad.ValidateUserID(me.User.ID); err != nil {
		t.Fatal(err)
	}
	actions := env.auditActions(me.User.ID)
	if len(actions) != 1 || actions[0] != launchpad.AuditSignIn {
		t.Fatalf("audit = %v", actions)
	}

	// Refresh, then log out: the refreshed token is revoked with its family.
	r = c.post("/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken})
	mustStatus(t, r, http.StatusOK)
	var tok2 TokenResponse
	r.decode(t, &tok2)
	if tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == "" {
		t.Fatalf("refresh did not rotate: %+v", tok2)
	}
	c.me(tok2.AccessToken)
	mustStatus(t, c.post("/api/auth/logout", map[string]string{"refresh_token": tok2.RefreshToken}), http.StatusOK)
	r = c.post("/api/auth/refresh", map[string]string{"refresh_token": tok2.RefreshToken})
	mustStatus(t, r, http.StatusUnauthorized)
	if got := env.auditActions(me.User.ID); count(got, launchpad.AuditLogout) != 1 {
		t.Fatalf("audit = %v", got)
	}

	// A second sign-in finds the same account.
	tok3 := c.signIn(email)
	if id := c.me(tok3.AccessToken).User.ID; id != me.User.ID {
		t.Fatalf("second sign-in made another account: %s vs %s", id, me.User.ID)
	}

	// Metrics count the outcomes and label requests by route pattern. The mail queue counts
	// a message once the mail server has answered, which may be after the test read it from
	// the SMTP peer: wait for that count.
	mailCounted := `launchpad_mail_total{kind="signin_code",result="sent"} 2`
	var metrics string
	waitFor(t, "both codes' mails to be counted", 10*time.Second, func() bool {
		metrics = string(c.get("/metrics", "").body)
		return strings.Contains(metrics, mailCounted)
	})
	for _, want := range []string{
		`launchpad_signin_total{outcome="success"} 2`,
		`launchpad_signin_total{outcome="code_sent"} 2`,
		`launchpad_http_requests_total{method="POST",route="POST /api/auth/verify",status="200"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	env.assertLogsFree(code, tok.AccessToken, tok.RefreshToken, tok2.AccessToken, tok2.RefreshToken, tok3.AccessToken, tok3.RefreshToken)
	if !strings.Contains(env.logs.String(), `"route":"POST /api/auth/verify"`) || !strings.Contains(env.logs.String(), `"request_id"`) {
		t.Errorf("request log lines missing: %s", env.logs.String())
	}
}

// Known and unknown addresses get byte-identical answers: the handler does the same work for
// both (it never looks the address up), and mail goes out in the background.
func TestSendVerificationAnswersKnownAndUnknownAlike(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	c.signIn("known@example.com") // now an account exists
	if _, err := env.store.GetUserByEmail(context.Background(), "known@example.com"); err != nil {
		t.Fatal(err)
	}
	known := c.post("/api/auth/send-verification", map[string]string{"email": "known@example.com"})
	unknown := c.post("/api/auth/send-verification", map[string]string{"email": "nobody@example.com"})
	if known.status != unknown.status || string(known.body) != string(unknown.body) {
		t.Fatalf("answers differ: %d %q vs %d %q", known.status, known.body, unknown.status, unknown.body)
	}
	for _, h := range []string{"Date", "X-Request-Id"} {
		known.header.Del(h)
		unknown.header.Del(h)
	}
	if !equalHeaders(known.header, unknown.header) {
		t.Fatalf("headers differ:\n%v\n%v", known.header, unknown.header)
	}
	// Both get a code (an unknown address becomes an account at its first verify).
	env.nextMail("known@example.com")
	env.nextMail("nobody@example.com")
	if _, err := env.store.GetUserByEmail(context.Background(), "nobody@example.com"); !launchpad.IsNotFound(err) {
		t.Fatalf("asking for a code created an account: %v", err)
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

func TestSendVerificationRejectsMalformedAddresses(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	for _, email := range []string{"", "ada", "ada@localhost", "Ada <ada@example.com>", "ada@example.com\r\nBcc: x@example.com", strings.Repeat("a", 250) + "@example.com"} {
		r := c.post("/api/auth/send-verification", map[string]string{"email": email})
		mustStatus(t, r, http.StatusBadRequest)
		if r.errorCode(t) != launchpad.EINVALID {
			t.Errorf("%q: %s", email, r.body)
		}
	}
	if n := len(env.smtp.Messages()); n != 0 {
		t.Fatalf("%d mails sent for malformed addresses", n)
	}
}

func TestSixthGuessIsRejectedEvenWhenRight(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	code := c.requestCode("ada@example.com")
	wrong := wrongCode(code)
	for i := 1; i <= launchpad.SignInCodeMaxAttempts; i++ {
		r := c.post("/api/auth/verify", map[string]string{"email": "ada@example.com", "code": wrong})
		mustStatus(t, r, http.StatusUnauthorized)
	}
	r := c.post("/api/auth/verify", map[string]string{"email": "ada@example.com", "code": code})
	mustStatus(t, r, http.StatusTooManyRequests)
	if r.errorCode(t) != launchpad.ERATELIMITED || r.header.Get("Retry-After") == "" {
		t.Fatalf("sixth guess: %v %s", r.header, r.body)
	}
	// A new code starts afresh.
	code = c.requestCode("ada@example.com")
	mustStatus(t, c.post("/api/auth/verify", map[string]string{"email": "ada@example.com", "code": code}), http.StatusOK)
}

func TestParallelGuessesAreCappedAtFive(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	c.signIn("ada@example.com") // an account, so failures are audited in its stream
	code := c.requestCode("ada@example.com")

	const guesses = 30
	statuses := make([]int, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			guess := wrongCode(code)
			for j := 0; j < i; j++ {
				guess = wrongCode(guess)
			}
			if guess == code {
				guess = wrongCode(guess)
			}
			statuses[i] = c.post("/api/auth/verify", map[string]string{"email": "ada@example.com", "code": guess}).status
		})
	}
	wg.Wait()
	wrong, limited := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusUnauthorized:
			wrong++
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	if wrong != launchpad.SignInCodeMaxAttempts || limited != guesses-launchpad.SignInCodeMaxAttempts {
		t.Fatalf("%d guesses compared, %d refused; want exactly %d compared", wrong, limited, launchpad.SignInCodeMaxAttempts)
	}
	mustStatus(t, c.post("/api/auth/verify", map[string]string{"email": "ada@example.com", "code": code}), http.StatusTooManyRequests)

	u, err := env.store.GetUserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	actions := env.auditActions(u.ID)
	if count(actions, launchpad.AuditSignInFailed) != 1 || count(actions, launchpad.AuditLockout) != 1 {
		t.Fatalf("want one failed-burst and one lock-out event, got %v", actions)
	}
}

func TestExpiredReusedAndSupersededCodesAreRejected(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	verify := func(code string) *response {
		return c.post("/api/auth/verify", map[string]string{"email": "ada@example.com", "code": code})
	}

	t.Run("expired", func(t *testing.T) {
		code := c.requestCode("ada@example.com")
		env.clock.Advance(launchpad.SignInCodeTTL + time.Second)
		mustStatus(t, verify(code), http.StatusUnauthorized)
	})
	t.Run("just before expiry", func(t *testing.T) {
		code := c.requestCode("ada@example.com")
		env.clock.Advance(launchpad.SignInCodeTTL - time.Second)
		mustStatus(t, verify(code), http.StatusOK)
	})
	t.Run("reused", func(t *testing.T) {
		code := c.requestCode("ada@example.com")
		mustStatus(t, verify(code), http.StatusOK)
		r := verify(code)
		mustStatus(t, r, http.StatusUnauthorized)
		if r.errorCode(t) != launchpad.EUNAUTHORIZED {
			t.Fatal(string(r.body))
		}
	})
	t.Run("superseded", func(t *testing.T) {
		first := c.requestCode("ada@example.com")
		second := c.requestCode("ada@example.com")
		if first == second {
			second = c.requestCode("ada@example.com") // one chance in a million
		}
		mustStatus(t, verify(first), http.StatusUnauthorized)
		mustStatus(t, verify(second), http.StatusOK)
	})
	t.Run("never requested", func(t *testing.T) {
		r := c.post("/api/auth/verify", map[string]string{"email": "never@example.com", "code": "123456"})
		mustStatus(t, r, http.StatusUnauthorized)
	})
	t.Run("malformed", func(t *testing.T) {
		for _, code := range []string{"", "12345", "1234567", "abcdef", "12 34 5"} {
			mustStatus(t, verify(code), http.StatusBadRequest)
		}
	})
}

func TestRateLimits(t *testing.T) {
	env := newTestEnv(t, func(c *Config) {
		c.Limits = Limits{
			CodesPerEmail: RateLimit{Every: time.Minute, Burst: 2},
			CodesPerIP:    RateLimit{Every: time.Minute, Burst: 3},
			VerifyPerIP:   RateLimit{Every: time.Minute, Burst: 2},
			MFAPerUser:    RateLimit{Off: true},
		}
	})
	c := env.newClient("test")
	send := func(email string) *response {
		return c.post("/api/auth/send-verification", map[string]string{"email": email})
	}
	mustStatus(t, send("a@example.com"), http.StatusAccepted)
	mustStatus(t, send("a@example.com"), http.StatusAccepted)
	r := send("a@example.com")
	mustStatus(t, r, http.StatusTooManyRequests)
	if r.errorCode(t) != launchpad.ERATELIMITED || r.header.Get("Retry-After") != "60" {
		t.Fatalf("per-email limit: %v %s", r.header, r.body)
	}
	mustStatus(t, send("b@example.com"), http.StatusAccepted) // third from this IP
	r = send("c@example.com")                                 // fourth from this IP
	mustStatus(t, r, http.StatusTooManyRequests)
	if !strings.Contains(string(r.body), "network address") {
		t.Fatalf("per-IP limit: %s", r.body)
	}
	env.clock.Advance(time.Minute)
	mustStatus(t, send("c@example.com"), http.StatusAccepted)

	for range 2 {
		mustStatus(t, c.post("/api/auth/verify", map[string]string{"email": "x@example.com", "code": "000000"}), http.StatusUnauthorized)
	}
	r = c.post("/api/auth/verify", map[string]string{"email": "x@example.com", "code": "000000"})
	mustStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

// wrongCode returns another valid-looking code.
func wrongCode(code string) string {
	b := []byte(code)
	b[5] = '0' + (b[5]-'0'+1)%10
	return string(b)
}

// Look-alikes of an address (fullwidth letters, a fullwidth domain, capitals, a combining
// accent) used to become accounts of their own. Now the code goes to the canonical address
// and the sign-in reaches the one account it owns.
func TestLookAlikeAddressesSignInToTheSameAccount(t *testing.T) {
	env := newTestEnv(t)
	_, _, victim := env.signedIn("Firefox", "victim@example.com")
	_, _, jose := env.signedIn("Firefox", "jos\u00e9@example.com")

	for _, tc := range []struct{ typed, canonical, want string }{
		{"ｖｉｃｔｉｍ@example.com", "victim@example.com", victim},
		{"victim@ｅｘａｍｐｌｅ.ｃｏｍ", "victim@example.com", victim},
		{"ＶＩＣＴＩＭ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "victim@example.com", victim},
		{"jose\u0301@example.com", "jos\u00e9@example.com", jose},
	} {
		t.Run(tc.typed, func(t *testing.T) {
			c := env.newClient("Chrome")
			mustStatus(t, c.post("/api/auth/send-verification", map[string]string{"email": tc.typed}), http.StatusAccepted)
			r := c.post("/api/auth/verify", map[string]string{"email": tc.typed, "code": env.nextCode(tc.canonical)})
			mustStatus(t, r, http.StatusOK)
			var tok TokenResponse
			r.decode(t, &tok)
			me := c.me(tok.AccessToken)
			if me.User.ID != tc.want || me.User.Email != tc.canonical {
				t.Fatalf("%q signed in to %s (%q), want the account %s of %q", tc.typed, me.User.ID, me.User.Email, tc.want, tc.canonical)
			}
		})
	}
	for _, m := range env.smtp.Messages() {
		if to := strings.Join(m.To, ","); to != "victim@example.com" && to != "jos\u00e9@example.com" {
			t.Errorf("a mail went to %q, not to a canonical address", to)
		}
	}
}

// nextCode reads the code of the next sign-in code mail to rcpt, passing over the new-device
// mails a sign-in from a new browser sends.
func (e *testEnv) nextCode(rcpt string) string {
	e.t.Helper()
	for range 10 {
		if m := codeInMail.FindStringSubmatch(e.nextMail(rcpt).Body); m != nil {
			return m[1]
		}
	}
	e.t.Fatalf("no sign-in code mail to %s", rcpt)
	return ""
}

func TestIPLiteralAndUnresolvableDomainsAreRefused(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	for _, tc := range []struct{ email, want string }{
		{"victim@[127.0.0.1]", "IP-literal domain"},
		{"victim@[IPv6:::1]", "IP-literal domain"},
		{"victim@127.0.0.1", "IP address"},
		{"victim@exa_mple.com", "not a valid domain name"},
	} {
		for path, body := range map[string]map[string]string{
			"/api/auth/send-verification": {"email": tc.email},
			"/api/auth/verify":            {"email": tc.email, "code": "123456"},
		} {
			r := c.post(path, body)
			mustStatus(t, r, http.StatusBadRequest)
			var b httpjson.ErrorBody
			r.decode(t, &b)
			if b.Error.Code != launchpad.EINVALID || !strings.Contains(b.Error.Message, tc.want) || !strings.Contains(b.Error.Message, "name@example.com") {
				t.Errorf("%s %q: %s; want an %s error saying %q and what to send", path, tc.email, r.body, launchpad.EINVALID, tc.want)
			}
		}
	}
	if n := len(env.smtp.Messages()); n != 0 {
		t.Fatalf("%d mails sent to refused addresses", n)
	}
}

// An account stored before canonical emails (its address only lower-cased) and not yet
// rewritten by `emails --migrate` still signs in, instead of a second account being made.
func TestAccountStoredBeforeCanonicalEmailsStillSignsIn(t *testing.T) {
	env := newTestEnv(t)
	legacy := &launchpad.User{ID: "legacy-user", Email: "straße@example.com", Plan: launchpad.TrialPlan}
	if err := env.store.CreateUser(context.Background(), legacy); err != nil {
		t.Fatal(err)
	}
	c := env.newClient("test")
	mustStatus(t, c.post("/api/auth/send-verification", map[string]string{"email": "Straße@example.com"}), http.StatusAccepted)
	r := c.post("/api/auth/verify", map[string]string{"email": "Straße@example.com", "code": env.nextCode("strasse@example.com")})
	mustStatus(t, r, http.StatusOK)
	var tok TokenResponse
	r.decode(t, &tok)
	if id := c.me(tok.AccessToken).User.ID; id != legacy.ID {
		t.Fatalf("signed in to %s, want the stored account %s", id, legacy.ID)
	}
}
