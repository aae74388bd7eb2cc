package controlplane

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// deviceCookie holds a random device id. The store keeps only a hash of it with the user
// agent (the fingerprint), so the cookie cannot be read back from a stolen database.
const (
	deviceCookie    = "lp_device"
	deviceCookieAge = 400 * 24 * time.Hour // the longest browsers honour
	maxUserAgentLen = 256
)

// device identifies the client of one sign-in: fingerprint = SHA-256 of the cookie's id and
// the user agent, so the same cookie replayed from another browser is another device.
type device struct {
	fingerprint string
	userAgent   string
}

// shortID is enough of the fingerprint to tell devices apart in the audit panel.
func (d device) shortID() string { return shortFingerprint(d.fingerprint) }

func shortFingerprint(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

// device reads the request's device cookie, issuing a new one when it is missing or malformed.
func (s *Server) device(w http.ResponseWriter, r *http.Request) device {
	id := ""
	if c, err := r.Cookie(deviceCookie); err == nil && validDeviceID(c.Value) {
		id = c.Value
	} else {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			panic("controlplane: crypto/rand failed: " + err.Error())
		}
		id = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{
			Name:     deviceCookie,
			Value:    id,
			Path:     "/",
			MaxAge:   int(deviceCookieAge.Seconds()),
			HttpOnly: true,
			Secure:   s.cfg.isHTTPS(),
			SameSite: http.SameSiteLaxMode,
		})
	}
	ua := sanitizeUserAgent(r.UserAgent())
	sum := sha256.Sum256([]byte("launchpad-device-v1\x00" + id + "\x00" + ua))
	return device{fingerprint: hex.EncodeToString(sum[:]), userAgent: ua}
}

func validDeviceID(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
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
func (s *Server) checkDevice(ctx context.Context, u *launchpad.User, d device, now time.Time) (bool, error) {
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
	ip := requestInfoFrom(ctx).ClientIP
	if err := s.audit(ctx, u.ID, launchpad.UserActor(u.ID), launchpad.AuditNewDevice, "device:"+d.shortID(), map[string]string{
		"ip":         ip,
		"user_agent": d.userAgent,
	}); err != nil {
		return false, err
	}
	if u.Email != "" {
		if err := s.mail.enqueue(ctx, "new_device", newDeviceMail(u.Email, d.userAgent, ip, now, s.cfg.PublicURL)); err != nil {
			// The sign-in is audited; a full mail queue must not lock the user out.
			s.logger(ctx).Warn("new-device alert not queued", "user_id", u.ID, "error", err.Error())
		}
	}
	return true, nil
}

func newDeviceMail(to, userAgent, ip string, at time.Time, publicURL string) launchpad.Message {
	return launchpad.Message{
		To:      to,
		Subject: "New sign-in to your Launchpad account",
		Text: fmt.Sprintf("Your Launchpad account was just signed in to from a device it had not seen before.\n\n"+
			"    When:    %s\n    Browser: %s\n    IP:      %s\n\n"+
			"If this was you, there is nothing to do.\n"+
			"If it was not, sign out everywhere and turn on two-factor authentication at %s, and check your audit log there.\n",
			at.UTC().Format(time.RFC1123), userAgent, ip, publicURL),
	}
}
