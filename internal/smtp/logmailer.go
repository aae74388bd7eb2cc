package smtp

import (
	"context"
	"log/slog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// LogURL is the LAUNCHPAD_SMTP_URL that selects the LogMailer. serve refuses to start without
// a LAUNCHPAD_SMTP_URL, so sign-in codes reach a log only when someone asked for that.
const LogURL = "log:"

// LogMailer is a launchpad.Mailer for the sandbox and the demo: it sends nothing and writes
// each message, text included, to its logger at INFO. Sign-in codes therefore appear in that
// log by design; never use it where the log is read by anyone but the person signing in.
type LogMailer struct {
	Logger *slog.Logger
}

var _ launchpad.Mailer = (*LogMailer)(nil)

// NewLogMailer returns a LogMailer writing to logger.
func NewLogMailer(logger *slog.Logger) *LogMailer { return &LogMailer{Logger: logger} }

// Send checks m like Mailer does (EINVALID on header injection) and logs it.
func (l *LogMailer) Send(ctx context.Context, m launchpad.Message) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	l.Logger.LogAttrs(ctx, slog.LevelInfo, "mail not sent (log mailer): message follows",
		slog.String("to", m.To), slog.String("subject", m.Subject), slog.String("text", m.Text))
	return nil
}
