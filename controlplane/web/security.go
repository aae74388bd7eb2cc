package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// securityData is the security page: the second factor, devices and sessions.
type securityData struct {
	MFA          string // off, pending (enrolled, not confirmed) or on
	EnrolledAt   time.Time
	RecoveryLeft int
	Devices      []deviceView
	Sessions     []sessionView
}

type deviceView struct {
	ID                  string // the start of the device's fingerprint, as the audit log names it
	UserAgent           string
	FirstSeen, LastSeen time.Time
}

type sessionView struct {
	UserAgent  string
	Device     string
	SignedInAt time.Time // when this session's current token was issued
	ExpiresAt  time.Time
	Current    bool // this browser
}

// enrolData is the enrolment page, shown once: the QR code and the otpauth link carry the
// TOTP secret (that is what enrolling hands to the authenticator app), and the recovery
// codes are shown in full. Neither can be shown again.
type enrolData struct {
	QRCode        template.URL // data:image/png;base64,…
	OTPAuthURL    template.URL // otpauth://totp/…, for an authenticator on the same phone
	RecoveryCodes []string
}

// handleSecurity shows the security page.
func (h *Handler) handleSecurity(w http.ResponseWriter, r *http.Request, s *session) {
	v, err := h.securityView(r, s)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.Flash = doneMessages[r.URL.Query().Get("done")]
	h.render(w, r, http.StatusOK, "security", v)
}

func (h *Handler) securityView(r *http.Request, s *session) (*view, error) {
	ctx := r.Context()
	u := s.user
	d := &securityData{MFA: "off", EnrolledAt: u.MFA.EnrolledAt, RecoveryLeft: len(u.MFA.RecoveryCodes)}
	switch {
	case u.MFA.Enabled() && !u.MFA.ReenrolRequired: // a marked factor shows as off: enrol again
		d.MFA = "on"
	case u.MFA.SealedSecret != "":
		d.MFA = "pending"
	}
	devices, err := h.auth.Devices(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, dv := range devices {
		d.Devices = append(d.Devices, deviceView{ID: shortID(dv.Fingerprint), UserAgent: dv.UserAgent, FirstSeen: dv.FirstSeen, LastSeen: dv.LastSeen})
	}
	sessions, err := h.auth.Sessions(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, ss := range sessions {
		d.Sessions = append(d.Sessions, sessionView{
			UserAgent: ss.UserAgent, Device: shortID(ss.DeviceID), SignedInAt: ss.CreatedAt, ExpiresAt: ss.ExpiresAt,
			Current: ss.FamilyID == s.sess.FamilyID,
		})
	}
	return signedInView(s, "Security", "security", d), nil
}

// handleEnrolTOTP starts enrolment and shows the QR code and recovery codes, once.
func (h *Handler) handleEnrolTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := h.auth.EnrolTOTP(r, s.user.ID)
	if err != nil {
		h.securityError(w, r, s, err)
		return
	}
	if !strings.HasPrefix(e.OTPAuthURL, "otpauth://totp/") {
		h.failed(w, r, launchpad.Errorf(launchpad.EINTERNAL, "the enrolment's URL is not an otpauth://totp/ URL"))
		return
	}
	png, err := qrcode.Encode(e.OTPAuthURL, qrcode.Medium, 256)
	if err != nil {
		h.failed(w, r, launchpad.Errorf(launchpad.EINTERNAL, "drawing the enrolment QR code: %v", err))
		return
	}
	d := &enrolData{
		// Both values are built here, not taken from the request: safe to mark as URLs.
		QRCode:        template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		OTPAuthURL:    template.URL(e.OTPAuthURL),
		RecoveryCodes: e.RecoveryCodes,
	}
	h.render(w, r, http.StatusOK, "enrol", signedInView(s, "Set up two-factor authentication", "security", d))
}

// handleConfirmTOTP turns the factor on with the first code from the app.
func (h *Handler) handleConfirmTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.auth.ConfirmTOTP(r, s.user.ID, r.PostFormValue("code")); err != nil {
		h.securityError(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/security?done=mfa_on", http.StatusSeeOther)
}

// handleSignOutEverywhere ends every session of the user, this one included.
func (h *Handler) handleSignOutEverywhere(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.auth.SignOutEverywhere(r, s.user.ID); err != nil {
		h.failed(w, r, err)
		return
	}
	h.clearCookie(w, h.cookies.session)
	http.Redirect(w, r, "/signin?done=signed_out_everywhere", http.StatusSeeOther)
}

// securityError shows the security page again with what went wrong.
func (h *Handler) securityError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status, msg := h.errorStatus(w, r, err)
	if u, gerr := h.store.GetUser(r.Context(), s.user.ID); gerr == nil {
		s.user = u // the attempt may have changed it
	}
	v, verr := h.securityView(r, s)
	if verr != nil {
		h.failed(w, r, verr)
		return
	}
	v.Error = msg
	h.render(w, r, status, "security", v)
}

func shortID(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}
