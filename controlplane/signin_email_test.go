package controlplane

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

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
