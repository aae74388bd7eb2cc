package smtp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp/smtptest"
)

func TestMailerDeliversPlainText(t *testing.T) {
	peer := smtptest.Start(t, smtptest.Options{})
	m, err := New(Config{URL: peer.URL(), From: "Launchpad <launchpad@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	text := "Your code is 123456.\n\nIt expires in 15 minutes. Ünïcödé survives.\n"
	if err := m.Send(context.Background(), launchpad.Message{To: "ada@example.com", Subject: "Your Launchpad sign-in code", Text: text}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := peer.WaitFor(t, "ada@example.com", 1, 5*time.Second)
	if got.From != "launchpad@example.com" {
		t.Errorf("envelope from = %q", got.From)
	}
	if s := got.Header.Get("Subject"); s != "Your Launchpad sign-in code" {
		t.Errorf("subject = %q", s)
	}
	if got.Header.Get("Auto-Submitted") != "auto-generated" || got.Header.Get("Message-Id") == "" || got.Header.Get("Date") == "" {
		t.Errorf("missing headers: %v", got.Header)
	}
	if strings.ReplaceAll(got.Body, "\r\n", "\n") != text {
		t.Errorf("body = %q, want %q", got.Body, text)
	}
}

func TestMailerRefusesHeaderInjection(t *testing.T) {
	peer := smtptest.Start(t, smtptest.Options{})
	m, err := New(Config{URL: peer.URL(), From: "launchpad@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	lm := NewLogMailer(slog.New(slog.NewTextHandler(&logBuf, nil)))
	for name, msg := range map[string]launchpad.Message{
		"subject CRLF":  {To: "ada@example.com", Subject: "hi\r\nBcc: victim@example.com", Text: "x"},
		"subject LF":    {To: "ada@example.com", Subject: "hi\nX-Evil: 1", Text: "x"},
		"subject CR":    {To: "ada@example.com", Subject: "hi\rX-Evil: 1", Text: "x"},
		"subject NUL":   {To: "ada@example.com", Subject: "hi\x00", Text: "x"},
		"to CRLF":       {To: "ada@example.com\r\nBcc: victim@example.com", Subject: "hi", Text: "x"},
		"to LF":         {To: "ada@example.com\n", Subject: "hi", Text: "x"},
		"to display":    {To: "Ada <ada@example.com>", Subject: "hi", Text: "x"},
		"to two":        {To: "ada@example.com, eve@example.com", Subject: "hi", Text: "x"},
		"empty subject": {To: "ada@example.com", Subject: " ", Text: "x"},
		"empty to":      {To: "", Subject: "hi", Text: "x"},
		"overlong subj": {To: "ada@example.com", Subject: strings.Repeat("a", 201), Text: "x"},
	} {
		for mailerName, mailer := range map[string]launchpad.Mailer{"smtp": m, "log": lm} {
			err := mailer.Send(context.Background(), msg)
			if launchpad.ErrorCode(err) != launchpad.EINVALID {
				t.Errorf("%s/%s: err = %v, want EINVALID", mailerName, name, err)
			}
			if err != nil && strings.Contains(launchpad.ErrorMessage(err), "victim") {
				t.Errorf("%s/%s: error echoes the injected value: %v", mailerName, name, err)
			}
		}
	}
	if n := len(peer.Messages()); n != 0 {
		t.Errorf("server received %d messages; want none", n)
	}
	if logBuf.Len() != 0 {
		t.Errorf("log mailer logged a refused message: %s", logBuf.String())
	}
	if _, err := New(Config{URL: peer.URL(), From: "launchpad@example.com\r\nBcc: x@example.com"}); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Errorf("New with injected From: err = %v, want EINVALID", err)
	}
}

func TestMailerUnreachableIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	m, err := New(Config{URL: "smtp://" + addr, From: "launchpad@example.com", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), launchpad.Message{To: "ada@example.com", Subject: "hi", Text: "x"})
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || launchpad.ErrorRetryAfter(err) == 0 {
		t.Fatalf("err = %v, want EUNAVAILABLE with RetryAfter", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error does not name the server: %v", err)
	}
}

func TestMailerImplicitTLSWithAuth(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	peer := smtptest.Start(t, smtptest.Options{TLS: serverTLS, Username: "mailer", Password: "s3cret-pass"})
	if !strings.HasPrefix(peer.URL(), "smtps://mailer:s3cret-pass@127.0.0.1:") {
		t.Fatalf("url = %s", peer.URL())
	}
	m, err := New(Config{URL: peer.URL(), From: "launchpad@example.com", TLSConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), launchpad.Message{To: "ada@example.com", Subject: "hi", Text: "over TLS"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := peer.WaitFor(t, "ada@example.com", 1, 5*time.Second); !strings.Contains(got.Body, "over TLS") {
		t.Errorf("body = %q", got.Body)
	}

	// A wrong password is refused by the server and reported without echoing either password.
	bad, err := New(Config{URL: strings.Replace(peer.URL(), "s3cret-pass", "wrong-pass", 1), From: "launchpad@example.com", TLSConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Send(context.Background(), launchpad.Message{To: "ada@example.com", Subject: "hi", Text: "x"})
	if err == nil {
		t.Fatal("send with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), "wrong-pass") || strings.Contains(err.Error(), "s3cret-pass") {
		t.Errorf("error echoes a password: %v", err)
	}

	// An untrusted certificate is refused.
	untrusted, err := New(Config{URL: peer.URL(), From: "launchpad@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := untrusted.Send(context.Background(), launchpad.Message{To: "ada@example.com", Subject: "hi", Text: "x"}); launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Errorf("untrusted certificate: err = %v, want EUNAVAILABLE", err)
	}
	if n := peer.Count("ada@example.com"); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

// Credentials on smtp:// demand STARTTLS: a server without it gets no password in clear.
func TestMailerWillNotSendPasswordInClear(t *testing.T) {
	peer := smtptest.Start(t, smtptest.Options{})
	m, err := New(Config{URL: "smtp://user:pw-in-clear@" + peer.Addr(), From: "launchpad@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), launchpad.Message{To: "ada@example.com", Subject: "hi", Text: "x"})
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want EUNAVAILABLE naming STARTTLS", err)
	}
	if len(peer.Messages()) != 0 {
		t.Error("message delivered without TLS")
	}
}

func TestParseURL(t *testing.T) {
	good := map[string]Endpoint{
		"smtp://mail.example.com":              {Host: "mail.example.com", Port: 25},
		"smtp://127.0.0.1:2525":                {Host: "127.0.0.1", Port: 2525},
		"smtps://u:p%40ss@mail.example.com":    {Host: "mail.example.com", Port: 465, Username: "u", Password: "p@ss", ImplicitTLS: true},
		"smtps://u:p@mail.example.com:1465/":   {Host: "mail.example.com", Port: 1465, Username: "u", Password: "p", ImplicitTLS: true},
		"smtp://apikey:k@smtp.example.com:587": {Host: "smtp.example.com", Port: 587, Username: "apikey", Password: "k"},
		"smtp://[::1]:25":                      {Host: "::1", Port: 25},
	}
	for raw, want := range good {
		got, err := ParseURL(raw)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", raw, err)
			continue
		}
		if *got != want {
			t.Errorf("ParseURL(%q) = %+v, want %+v", raw, *got, want)
		}
	}
	for _, raw := range []string{
		"", "mail.example.com:25", "http://mail.example.com", "smtp://", "smtp://:25",
		"smtp://host:0", "smtp://host:99999", "smtp://host:x", "smtp://host/path", "smtp://host?tls=1",
		"smtps://:topsecret@host", "smtps://u:topsecret@host:bad", "smtps://u:topsecret@%zz",
	} {
		_, err := ParseURL(raw)
		if launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("ParseURL(%q): err = %v, want EINVALID", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("ParseURL(%q): error echoes the password: %v", raw, err)
		}
	}
}

func TestLogMailerLogsTheMessage(t *testing.T) {
	var buf bytes.Buffer
	lm := NewLogMailer(slog.New(slog.NewJSONHandler(&buf, nil)))
	if err := lm.Send(context.Background(), launchpad.Message{To: "ada@example.com", Subject: "Your code", Text: "code 654321"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"to":"ada@example.com"`, `"subject":"Your code"`, `code 654321`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %s lacks %s", buf.String(), want)
		}
	}
}

// selfSigned returns a server TLS config for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
