package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// maxUserAgentLen bounds a stored user agent: it is shown in the audit panel and mailed.
const maxUserAgentLen = 256

// device identifies the client of one sign-in: fingerprint = SHA-256 of the client's device
// id and its user agent, so the same device id replayed from another browser is another
// device, and the store never holds the id itself.
type device struct {
	fingerprint string
	userAgent   string
}

// deviceOf is c's device.
func deviceOf(c Client) device {
	ua := sanitizeUserAgent(c.UserAgent)
	sum := sha256.Sum256([]byte("launchpad-device-v1\x00" + c.DeviceID + "\x00" + ua))
	return device{fingerprint: hex.EncodeToString(sum[:]), userAgent: ua}
}

// shortID is enough of the fingerprint to tell devices apart in the audit panel.
func (d device) shortID() string { return shortFingerprint(d.fingerprint) }

func shortFingerprint(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

// sanitizeUserAgent keeps user agents printable and short: they are stored, shown in the
// audit panel and written into alert mails.
func sanitizeUserAgent(ua string) string {
	ua = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, ua)
	ua = strings.TrimSpace(ua)
	if len(ua) > maxUserAgentLen {
		ua = strings.ToValidUTF8(ua[:maxUserAgentLen], "")
	}
	if ua == "" {
		return "unknown client"
	}
	return ua
}

// checkDevice records the sign-in's device and reports whether it is new for the user. A new
// device of a user who had signed in before (from elsewhere) is audited and mailed; the very
// first device of an account is not news.
func (s *Service) checkDevice(ctx context.Context, c Client, u *launchpad.User, d device, now time.Time) (bool, error) {
	isNew, err := s.store.TouchDevice(ctx, &launchpad.Device{UserID: u.ID, Fingerprint: d.fingerprint, UserAgent: d.userAgent}, now)
	if err != nil || !isNew {
		return false, err
	}
	known, err := s.store.ListDevices(ctx, u.ID)
	if err != nil {
		return false, err
	}
	if len(known) <= 1 {
		return false, nil
	}
	if err := s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditNewDevice, "device:"+d.shortID(), map[string]string{
		"ip":         c.IP,
		"user_agent": d.userAgent,
	}); err != nil {
		return false, err
	}
	if u.Email != "" {
		if err := s.mail.enqueue("new_device", c.RequestID, newDeviceMail(u.Email, d.userAgent, c.IP, now, s.cfg.PublicURL)); err != nil {
			// The sign-in is audited; a full mail queue must not lock the user out.
			s.logger(c).Warn("new-device alert not queued", "user_id", u.ID, "error", err.Error())
		}
	}
	return true, nil
}

func newDeviceMail(to, userAgent, ip string, at time.Time, publicURL string) launchpad.Message {
	return securityNotice(to, "New sign-in to your Launchpad account",
		"Your Launchpad account was just signed in to from a device it had not seen before.", at, userAgent, ip,
		"If this was you, there is nothing to do.\n"+
			"If it was not, sign out everywhere and turn on two-factor authentication at %s, and check your audit log there.\n",
		publicURL)
}

// Devices lists the devices the user has signed in from.
func (s *Service) Devices(ctx context.Context, userID string) ([]*launchpad.Device, error) {
	return s.store.ListDevices(ctx, userID)
}
