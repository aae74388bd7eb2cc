package launchpad

import "context"

// Mailer sends email: sign-in codes, new-device alerts, hour-cap notices.
//
// Errors: EINVALID for an address or header the mailer refuses (it must refuse CR or LF in
// any header field), EUNAVAILABLE when the mail server cannot be reached.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Message is a plain-text email.
type Message struct {
	To      string
	Subject string
	Text    string
}
