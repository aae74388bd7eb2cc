package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Config says how Mailer reaches the mail server.
type Config struct {
	// URL is LAUNCHPAD_SMTP_URL (see ParseURL).
	URL string
	// From is LAUNCHPAD_MAIL_FROM: "launchpad@example.com" or "Launchpad <launchpad@example.com>".
	From string
	// TLSConfig overrides the TLS settings (a private CA, for instance). Its ServerName
	// defaults to the URL's host. Nil means the system roots and TLS 1.2 at least.
	TLSConfig *tls.Config
	// Timeout bounds one delivery (dial, TLS, auth, transfer); 0 means 30 s.
	Timeout time.Duration
}

// Mailer is a launchpad.Mailer that delivers over SMTP, one connection per message.
// It is safe for concurrent use.
type Mailer struct {
	client  *gomail.Client
	from    *mail.Address
	addr    string
	timeout time.Duration
}

var _ launchpad.Mailer = (*Mailer)(nil)

// New checks cfg and returns a Mailer. Nothing is dialled until Send.
func New(cfg Config) (*Mailer, error) {
	e, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	from, err := checkFrom(cfg.From)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = e.Host
	}
	opts := []gomail.Option{
		gomail.WithPort(e.Port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithTLSPolicy(gomail.TLSOpportunistic),
	}
	if e.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if e.Username != "" {
		// With credentials, encryption is not optional: go-mail's auto-discovery picks the
		// strongest mechanism the server offers and refuses PLAIN/LOGIN without TLS.
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(e.Username),
			gomail.WithPassword(e.Password))
		if !e.ImplicitTLS {
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		}
	}
	client, err := gomail.NewClient(e.Host, opts...)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "mail client for %s: %v", e.Addr(), err)
	}
	return &Mailer{client: client, from: from, addr: e.Addr(), timeout: timeout}, nil
}

// Send delivers m. Errors: EINVALID for a refused address or header (nothing is sent) or a
// recipient the server rejects for good; EUNAVAILABLE when the server cannot be reached,
// refuses the sender or fails temporarily. Messages of errors never hold the mail's text.
func (s *Mailer) Send(ctx context.Context, m launchpad.Message) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return launchpad.Errorf(launchpad.EINVALID, "mail recipient is not a plain address like name@example.com")
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	// Auto-Submitted keeps vacation responders from answering sign-in mail (RFC 3834).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() {
			return launchpad.Errorf(launchpad.EINVALID, "mail server %s refused the recipient: %v", s.addr, err)
		}
		return &launchpad.Error{
			Code:       launchpad.EUNAVAILABLE,
			Message:    "mail server " + s.addr + " did not take the message: " + err.Error(),
			RetryAfter: time.Minute,
		}
	}
	return nil
}
