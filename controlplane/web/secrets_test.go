package web_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
)

// client is a plain HTTP client with a cookie jar, driving the dashboard's forms against the
// whole control plane (real sign-in, sessions and TOTP).
type client struct {
	t     *testing.T
	w     *world
	hc    *http.Client
	jar   *cookiejar.Jar
	pages []received // every body received
	// forwardedFor, when set, is sent as X-Forwarded-For: the client's address as a trusted
	// proxy in front of the control plane reports it.
	forwardedFor string
}

type received struct{ what, body string }

func newClient(t *testing.T, w *world) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, w: w, jar: jar, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (c *client) do(method, path string, form url.Values) (int, string) {
	c.t.Helper()
	req := web.NewFormRequest(method, c.w.url+path, form)
	if c.forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", c.forwardedFor)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	c.pages = append(c.pages, received{method + " " + path, string(b)})
	return res.StatusCode, string(b)
}

var formToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *client) token(path string) string {
	c.t.Helper()
	_, body := c.do("GET", path, nil)
	m := formToken.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no form token on %s:\n%s", path, body)
	}
	return m[1]
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.w.url)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// signIn goes through the forms with the n-th mailed code; it returns the code.
func (c *client) signIn(email string, n int) string {
	c.t.Helper()
	c.do("POST", "/signin", url.Values{"csrf_token": {c.token("/signin")}, "email": {email}})
	tok := c.token("/signin/code")
	code := c.w.signInCode(email, n)
	c.do("POST", "/signin/code", url.Values{"csrf_token": {tok}, "code": {code}})
	return code
}

// TestNoSecretOnAnyPage signs in, enrols TOTP, signs in again with it, and reads every page
// and the live feed on the way: no sign-in code, session or MFA token, device cookie, model
// key, sealed value, platform secret or admin token is ever in a page, and after the
// enrolment page neither the TOTP secret nor a recovery code is. Nor are they in the logs.
func TestNoSecretOnAnyPage(t *testing.T) {
	w := newWorld(t)
	tn := w.provision("mallory@example.com")
	c := newClient(t, w)
	ctx := context.Background()

	secrets := map[string]string{
		"platform secret": worldSecret, "admin token": adminToken, "sub-key": tn.key,
		"Fly token": w.fly.Token, "OpenRouter management key": w.or.ManagementKey,
	}
	u, err := w.store.GetUser(ctx, tn.userID)
	if err != nil {
		t.Fatal(err)
	}
	secrets["sealed sub-key"] = u.OpenRouterKey

	// A wrong code first: the error page must not echo it either.
	c.do("POST", "/signin", url.Values{"csrf_token": {c.token("/signin")}, "email": {tn.email}})
	tok := c.token("/signin/code")
	realCode := w.signInCode(tn.email, 1)
	wrong := "000000"
	if realCode == wrong {
		wrong = "111111"
	}
	if status, body := c.do("POST", "/signin/code", url.Values{"csrf_token": {tok}, "code": {wrong}}); status != http.StatusUnauthorized || !strings.Contains(body, "The code is wrong") {
		t.Fatalf("wrong code: %d\n%s", status, body)
	}
	secrets["first code"] = realCode
	if status, body := c.do("POST", "/signin/code", url.Values{"csrf_token": {tok}, "code": {realCode}}); status != 200 || !strings.Contains(body, "Your agent") {
		t.Fatalf("sign-in: %d\n%s", status, body)
	}
	secrets["session cookie"] = c.cookie("lp_session")
	secrets["device cookie"] = c.cookie("lp_device")
	for name, v := range map[string]string{"session": secrets["session cookie"], "device": secrets["device cookie"]} {
		if len(v) < 20 {
			t.Fatalf("%s cookie %q missing after sign-in", name, v)
		}
	}

	for _, p := range []string{"/", "/audit", "/security", "/billing", "/signin", "/audit?before=2"} {
		c.do("GET", p, nil)
	}
	if _, err := operator.Run(ctx, w.store, w.rt, operator.Request{UserID: tn.userID, Operator: "alice", Command: []string{"uptime"}, Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	c.pages = append(c.pages, received{"the live feed", readFeed(t, c, 2)})

	// Enrolment: the only page that shows the TOTP secret (in the QR code and the otpauth
	// link) and the recovery codes.
	status, enrol := c.do("POST", "/security/totp", url.Values{"csrf_token": {c.token("/security")}})
	if status != 200 {
		t.Fatalf("enrol: %d\n%s", status, enrol)
	}
	c.pages = c.pages[:len(c.pages)-1] // the one page allowed to show them
	m := regexp.MustCompile(`href="(otpauth://[^"]+)"`).FindStringSubmatch(enrol)
	if m == nil {
		t.Fatalf("no otpauth link on the enrolment page:\n%s", enrol)
	}
	key, err := otp.NewKeyFromURL(strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	recovery := regexp.MustCompile(`<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>`).FindAllStringSubmatch(enrol, -1)
	if len(recovery) != 10 {
		t.Fatalf("%d recovery codes on the enrolment page", len(recovery))
	}
	secrets["TOTP secret"] = key.Secret()
	for i, r := range recovery {
		secrets["recovery code "+string(rune('0'+i))] = r[1]
	}
	code, _ := totp.GenerateCode(key.Secret(), time.Now())
	c.do("POST", "/security/totp/confirm", url.Values{"csrf_token": {c.token("/security")}, "code": {code}})
	if u, err = w.store.GetUser(ctx, tn.userID); err != nil || !u.MFA.Enabled() {
		t.Fatalf("TOTP not confirmed: %v", err)
	}
	secrets["sealed TOTP secret"] = u.MFA.SealedSecret

	// Sign out and in again through the second factor.
	c.do("POST", "/signout", url.Values{"csrf_token": {c.token("/security")}})
	// Mails #2 and #3 are the "TOTP is on" notice and the new code, in either order: the mail
	// queue's workers deliver in parallel.
	c.do("POST", "/signin", url.Values{"csrf_token": {c.token("/signin")}, "email": {tn.email}})
	tok = c.token("/signin/code")
	w.smtp.WaitFor(t, tn.email, 3, 10*time.Second)
	for _, n := range []int{2, 3} {
		if m := codePattern.FindStringSubmatch(w.smtp.WaitFor(t, tn.email, n, time.Second).Body); m != nil {
			secrets["second code"] = m[1]
		}
	}
	if secrets["second code"] == "" {
		t.Fatal("neither mail #2 nor mail #3 holds the second sign-in code")
	}
	c.do("POST", "/signin/code", url.Values{"csrf_token": {tok}, "code": {secrets["second code"]}})
	secrets["MFA token"] = c.cookie("lp_mfa")
	if len(secrets["MFA token"]) < 20 {
		t.Fatalf("no MFA token cookie after the emailed code")
	}
	next, _ := totp.GenerateCode(key.Secret(), time.Now().Add(30*time.Second))
	if status, body := c.do("POST", "/signin/second-factor", url.Values{"csrf_token": {c.token("/signin/second-factor")}, "code": {next}}); status != 200 || !strings.Contains(body, "Your agent") {
		t.Fatalf("second factor: %d\n%s", status, body)
	}
	secrets["second session cookie"] = c.cookie("lp_session")
	for _, p := range []string{"/", "/audit", "/security", "/billing"} {
		c.do("GET", p, nil)
	}

	if len(c.pages) < 20 {
		t.Fatalf("only %d pages read", len(c.pages))
	}
	for _, p := range c.pages {
		for name, secret := range secrets {
			if secret != "" && strings.Contains(p.body, secret) {
				t.Errorf("%s shows the %s", p.what, name)
			}
		}
	}
	logs := w.logs.String()
	for name, secret := range secrets {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the control plane's log holds the %s", name)
		}
	}
}

// readFeed reads the live audit feed until it has sent n events.
func readFeed(t *testing.T, c *client, n int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.w.url+"/audit/events?after=0", nil)
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(res.Body)
	seen := 0
	for sc.Scan() {
		sb.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "event: audit") {
			if seen++; seen == n {
				return sb.String()
			}
		}
	}
	t.Fatalf("the feed ended after %d of %d events: %v\n%s", seen, n, sc.Err(), sb.String())
	return ""
}
