// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) in-process on
// loopback for tests: it accepts every message, decodes it, and hands it to the test.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// Message is one received mail.
type Message struct {
	From   string   // envelope sender
	To     []string // envelope recipients
	Raw    []byte   // as received
	Header mail.Header
	Body   string // decoded text
}

// Options configure a Server; the zero value is plain SMTP without authentication.
type Options struct {
	// TLS, when set, makes the listener implicit TLS (smtps://).
	TLS *tls.Config
	// Username and Password, when set, require AUTH PLAIN with them.
	Username, Password string
}

// Server is an in-process SMTP peer.
type Server struct {
	srv  *gosmtp.Server
	ln   net.Listener
	opts Options

	mu       sync.Mutex
	received []*Message
	notify   chan struct{} // closed and replaced on every message
}

// Start listens on 127.0.0.1:0 and stops when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	if opts.TLS != nil {
		ln = tls.NewListener(ln, opts.TLS)
	}
	s := &Server{ln: ln, opts: opts, notify: make(chan struct{})}
	s.srv = gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &session{s: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.ErrorLog = testLogger{t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		// Close may run before Serve has registered ln; closing it here ends Serve either way.
		_ = ln.Close()
		<-done
	})
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is a LAUNCHPAD_SMTP_URL for this server.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.opts.TLS != nil {
		scheme = "smtps"
	}
	userinfo := ""
	if s.opts.Username != "" {
		userinfo = s.opts.Username + ":" + s.opts.Password + "@"
	}
	return scheme + "://" + userinfo + s.Addr()
}

// Messages returns every message received so far.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.received...)
}

// WaitFor returns the n-th (1-based) message addressed to rcpt, waiting up to timeout.
func (s *Server) WaitFor(t testing.TB, rcpt string, n int, timeout time.Duration) *Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		seen, ch := 0, s.notify
		for _, m := range s.received {
			for _, to := range m.To {
				if strings.EqualFold(to, rcpt) {
					seen++
					if seen == n {
						s.mu.Unlock()
						return m
					}
				}
			}
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("smtptest: no message #%d for %s within %s (%d received in all)", n, rcpt, timeout, len(s.Messages()))
			return nil
		}
	}
}

// Count returns how many messages were received for rcpt.
func (s *Server) Count(rcpt string) int {
	n := 0
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				n++
			}
		}
	}
	return n
}

func (s *Server) add(m *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, m)
	close(s.notify)
	s.notify = make(chan struct{})
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.opts.Username || pass != ss.s.opts.Password {
			return gosmtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.s.opts.Username != "" && !ss.authed {
		return gosmtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return &gosmtp.SMTPError{Code: 554, Message: err.Error()}
	}
	m.From, m.To = ss.from, append([]string(nil), ss.to...)
	ss.s.add(m)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// parse decodes a single-part text message (what launchpad sends).
func parse(raw []byte) (*Message, error) {
	mm, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("unparsable message: %w", err)
	}
	body, err := io.ReadAll(mm.Body)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(mm.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
	case "base64":
		body, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
	case "", "7bit", "8bit", "binary":
	default:
		err = errors.New("unknown transfer encoding " + mm.Header.Get("Content-Transfer-Encoding"))
	}
	if err != nil {
		return nil, err
	}
	return &Message{Raw: raw, Header: mm.Header, Body: string(body)}, nil
}

type testLogger struct{ t testing.TB }

func (l testLogger) Printf(format string, v ...any) { l.t.Logf("smtptest: "+format, v...) }
func (l testLogger) Println(v ...any)               { l.t.Log(append([]any{"smtptest:"}, v...)...) }
