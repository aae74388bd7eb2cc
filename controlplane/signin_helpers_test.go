package controlplane

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// codeMailer is a Mailer that hands every message to the test, for servers a test signs in
// to without an SMTP peer.
type codeMailer struct{ sent chan launchpad.Message }

func newCodeMailer() *codeMailer { return &codeMailer{sent: make(chan launchpad.Message, 64)} }

func (m *codeMailer) Send(ctx context.Context, msg launchpad.Message) error {
	select {
	case m.sent <- msg:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// testClient is the client of the sign-ins a test makes through the auth service directly.
var testClient = auth.Client{IP: "127.0.0.1", UserAgent: "test", DeviceID: "test-device"}

// requestCodeThrough asks srv's auth service for a sign-in code for email and returns it, as
// mailer received it.
func requestCodeThrough(tb testing.TB, srv *Server, mailer *codeMailer, email string) string {
	tb.Helper()
	if err := srv.auth.SendCode(context.Background(), testClient, email); err != nil {
		tb.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-mailer.sent:
			if match := codeInMail.FindStringSubmatch(m.Text); m.To == email && match != nil {
				return match[1]
			}
		case <-timeout:
			tb.Fatalf("no sign-in code was mailed to %s", email)
		}
	}
}

// signInThrough signs email in through srv's auth service: a session, or the demand for the
// second factor.
func signInThrough(tb testing.TB, srv *Server, mailer *codeMailer, email string) *auth.SignIn {
	tb.Helper()
	res, err := srv.auth.VerifyCode(context.Background(), testClient, email, requestCodeThrough(tb, srv, mailer, email))
	if err != nil {
		tb.Fatal(err)
	}
	return res
}
