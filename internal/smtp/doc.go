// Package smtp implements launchpad.Mailer: Mailer sends over SMTP with
// github.com/wneessen/go-mail, and LogMailer writes each message to a slog logger instead
// (the sandbox and the demo, where no mail server runs).
//
// Both refuse a message whose address or subject holds a line break or another control
// character (header injection), with EINVALID, before anything is sent or logged.
package smtp
