package smtp

import (
	"net"
	"net/url"
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Endpoint is a parsed LAUNCHPAD_SMTP_URL.
type Endpoint struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS is true for smtps:// (TLS from the first byte, port 465 by default).
	// smtp:// upgrades with STARTTLS when the server offers it, and insists on it when
	// credentials are given, so a password never crosses the network in clear.
	ImplicitTLS bool
}

// ParseURL parses smtp://host[:port] (default port 25) or smtps://[user:pass@]host[:port]
// (default 465); smtp:// may carry credentials too. Errors never echo the password.
func ParseURL(raw string) (*Endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL, password included: report only the shape.
		return nil, launchpad.Errorf(launchpad.EINVALID, "mail server URL is not a URL; use smtp://host:port or smtps://user:password@host:port")
	}
	e := &Endpoint{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		e.Port = 25
	case "smtps":
		e.Port, e.ImplicitTLS = 465, true
	default:
		return nil, launchpad.Errorf(launchpad.EINVALID, "mail server URL scheme %q is not supported; use smtp:// or smtps://", u.Scheme)
	}
	if e.Host == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "mail server URL has no host; use %s://host:port", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, launchpad.Errorf(launchpad.EINVALID, "mail server port %q is not a port number (1-65535)", p)
		}
		e.Port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "mail server URL must be only scheme, credentials, host and port (no path or query)")
	}
	if u.User != nil {
		e.Username = u.User.Username()
		e.Password, _ = u.User.Password()
		if e.Username == "" {
			return nil, launchpad.Errorf(launchpad.EINVALID, "mail server URL has credentials without a user name")
		}
	}
	return e, nil
}

// Addr is host:port.
func (e *Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }
