package web

import (
	"cmp"
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// securityData is the security page: the recent sign-in the sensitive actions need, the
// second factor, devices and sessions.
type securityData struct {
	StepUp       stepUpView
	MFA          string // off, pending (enrolled, not confirmed) or on
	EnrolledAt   time.Time
	RecoveryLeft int
	Devices      []deviceView
	Sessions     []sessionView
}

// stepUpView is the "confirm it is you" card: whether this session signed in recently enough
// for the security-sensitive actions, and the form that makes it so.
type stepUpView struct {
	Until        time.Time // when the recent sign-in stops counting; zero: it does not
	Window       string    // the step-up window, in words
	Required     bool      // an action was just refused for want of it
	Sent         bool      // a code was mailed: show the form that takes it
	SecondFactor bool      // the form asks for the authenticator code too
}

type deviceView struct {
	ID                  string // the start of the device's fingerprint, as the audit log names it
	Name                string // the browser and system, read from the user agent
	UserAgent           string
	IP                  string // the address of the device's latest sign-in, from the audit log
	FirstSeen, LastSeen time.Time
}

type sessionView struct {
	ID        string // the session family, which the sign-out form names
	Name      string // the browser and system, read from the user agent
	UserAgent string
	IP        string // the address the session was last used from
	// LastActive is when the session was last used (a page load or an API request records
	// it, at most about once a minute).
	LastActive time.Time
	Device     string
	SignedInAt time.Time // when this session's current token was issued
	ExpiresAt  time.Time
	Current    bool // this browser
}

// recoveryData is the page of new recovery codes, shown once.
type recoveryData struct {
	RecoveryCodes []string
}

// enrolData is the enrolment page, shown once: the QR code and the otpauth link carry the
// TOTP secret (that is what enrolling hands to the authenticator app), and the recovery
// codes are shown in full. Neither can be shown again.
type enrolData struct {
	QRCode     template.URL // data:image/png;base64,…
	OTPAuthURL template.URL // otpauth://totp/…, for an authenticator on the same phone
	// Secret is the TOTP secret in groups of four, for typing into an app that cannot scan.
	Secret        string
	RecoveryCodes []string
}

// handleSecurity shows the security page. ?step_up=sent opens the form for the mailed code;
// ?done= picks one of the fixed confirmations.
func (h *Handler) handleSecurity(w http.ResponseWriter, r *http.Request, s *session) {
	v, d, err := h.securityView(r, s)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.Flash = doneMessages[r.URL.Query().Get("done")]
	d.StepUp.Sent = r.URL.Query().Get("step_up") == "sent"
	d.StepUp.Required = r.URL.Query().Get("done") == "step_up_required"
	h.render(w, r, http.StatusOK, "security", v)
}

func (h *Handler) securityView(r *http.Request, s *session) (*view, *securityData, error) {
	ctx := r.Context()
	u := s.user
	d := &securityData{MFA: "off", EnrolledAt: u.MFA.EnrolledAt, RecoveryLeft: len(u.MFA.RecoveryCodes)}
	d.StepUp = stepUpView{Until: h.auth.StepUpUntil(s.sess), Window: launchpad.DurationWords(h.auth.StepUpWindow()), SecondFactor: u.MFA.Enabled()}
	switch {
	case u.MFA.Enabled() && !u.MFA.ReenrolRequired: // a marked factor shows as off: enrol again
		d.MFA = "on"
	case u.MFA.SealedSecret != "":
		d.MFA = "pending"
	}
	devices, err := h.auth.Devices(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, dv := range devices {
		d.Devices = append(d.Devices, deviceView{ID: shortID(dv.Fingerprint), Name: h.deviceName(dv.UserAgent), UserAgent: dv.UserAgent, FirstSeen: dv.FirstSeen, LastSeen: dv.LastSeen})
	}
	ips := h.signInAddresses(ctx, u.ID)
	for i := range d.Devices {
		d.Devices[i].IP = ips[d.Devices[i].ID]
	}
	sessions, err := h.auth.Sessions(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, ss := range sessions {
		d.Sessions = append(d.Sessions, sessionView{
			ID: ss.FamilyID, Name: h.deviceName(ss.UserAgent), UserAgent: ss.UserAgent, Device: shortID(ss.DeviceID), SignedInAt: signedInAt(ss), ExpiresAt: ss.ExpiresAt,
			LastActive: ss.LastActive(),
			IP:         cmp.Or(ss.IP, ips[shortID(ss.DeviceID)]),
			Current:    ss.FamilyID == s.sess.FamilyID,
		})
	}
	return signedInView(s, "Security", "security", d), d, nil
}

// handleStartStepUp mails a confirmation code and opens the form that takes it.
func (h *Handler) handleStartStepUp(w http.ResponseWriter, r *http.Request, s *session) {
	h.securityAction(w, r, s, "/security?step_up=sent#step-up", func() error { return h.auth.StartStepUp(r, s.sess) })
}

// handleVerifyStepUp checks the confirmation code (and the authenticator's): this session is
// then recently signed in, and the user can try the action again.
func (h *Handler) handleVerifyStepUp(w http.ResponseWriter, r *http.Request, s *session) {
	err := h.auth.VerifyStepUp(r, s.sess, r.PostFormValue("code"), r.PostFormValue("totp_code"), r.PostFormValue("recovery_code"))
	if err != nil {
		h.securityErrorWith(w, r, s, err, func(d *securityData) { d.StepUp.Sent = true })
		return
	}
	http.Redirect(w, r, "/security?done=stepped_up", http.StatusSeeOther)
}

// handleEnrolTOTP starts enrolment and shows the QR code and recovery codes, once.
func (h *Handler) handleEnrolTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := h.auth.EnrolTOTP(r, s.sess)
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
		Secret:        totpSecretText(e.OTPAuthURL),
		RecoveryCodes: e.RecoveryCodes,
	}
	v := signedInView(s, "Set up two-factor authentication", "security", d)
	v.Scripts = []string{"codes.js"}
	h.render(w, r, http.StatusOK, "enrol", v)
}

// handleConfirmTOTP turns the factor on with the first code from the app; every other
// session of the user is signed out.
func (h *Handler) handleConfirmTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	h.securityAction(w, r, s, "/security?done=mfa_on", func() error { return h.auth.ConfirmTOTP(r, s.sess, r.PostFormValue("code")) })
}

// handleDisableTOTP turns the factor off.
func (h *Handler) handleDisableTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	h.securityAction(w, r, s, "/security?done=mfa_off", func() error { return h.auth.DisableTOTP(r, s.sess) })
}

// handleRegenerateRecoveryCodes shows ten new recovery codes, once.
func (h *Handler) handleRegenerateRecoveryCodes(w http.ResponseWriter, r *http.Request, s *session) {
	codes, err := h.auth.RegenerateRecoveryCodes(r, s.sess)
	if err != nil {
		h.securityError(w, r, s, err)
		return
	}
	v := signedInView(s, "New recovery codes", "security", &recoveryData{RecoveryCodes: codes})
	v.Scripts = []string{"codes.js"}
	h.render(w, r, http.StatusOK, "recovery_codes", v)
}

// handleSignOutSession ends the session the form names (see signOutSession).
func (h *Handler) handleSignOutSession(w http.ResponseWriter, r *http.Request, s *session) {
	h.signOutSession(w, r, s, r.PostFormValue("session"))
}

// handleRevokeSession ends the session POST /security/sessions/{id}/revoke names.
func (h *Handler) handleRevokeSession(w http.ResponseWriter, r *http.Request, s *session) {
	h.signOutSession(w, r, s, r.PathValue("id"))
}

// signOutSession ends one session: another device's (with a recent sign-in), or this
// browser's own.
func (h *Handler) signOutSession(w http.ResponseWriter, r *http.Request, s *session, family string) {
	if err := h.auth.SignOutSession(r, s.sess, family); err != nil {
		h.securityError(w, r, s, err)
		return
	}
	if family == s.sess.FamilyID {
		h.clearCookie(w, h.cookies.session)
		http.Redirect(w, r, "/signin?done=signed_out", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/security?done=session_signed_out", http.StatusSeeOther)
}

// handleSignOutEverywhere ends every session of the user, this one included.
func (h *Handler) handleSignOutEverywhere(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.auth.RequireStepUp(s.sess); err != nil {
		h.securityError(w, r, s, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		h.securityError(w, r, s, launchpad.Errorf(launchpad.EINVALID, "signing out everywhere ends this session too: open \"Sign out everywhere…\" and press \"Yes, sign out everywhere\" to confirm"))
		return
	}
	if err := h.auth.SignOutEverywhere(r, s.sess); err != nil {
		h.securityError(w, r, s, err)
		return
	}
	h.clearCookie(w, h.cookies.session)
	http.Redirect(w, r, "/signin?done=signed_out_everywhere", http.StatusSeeOther)
}

// securityAction runs one action of the security page: when it succeeds the browser goes on to
// next, else it sees the page again with what went wrong (securityError).
func (h *Handler) securityAction(w http.ResponseWriter, r *http.Request, s *session, next string, action func() error) {
	if err := action(); err != nil {
		h.securityError(w, r, s, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// securityError shows the security page again with what went wrong. An action refused for
// want of a recent sign-in (ESTEPUP) opens the "confirm it is you" card instead, with its
// own words: the API's message names API routes.
func (h *Handler) securityError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	h.securityErrorWith(w, r, s, err, nil)
}

func (h *Handler) securityErrorWith(w http.ResponseWriter, r *http.Request, s *session, err error, adjust func(*securityData)) {
	status, msg := h.errorStatus(w, r, err)
	if u, gerr := h.store.GetUser(r.Context(), s.user.ID); gerr == nil {
		s.user = u // the attempt may have changed it
	}
	v, d, verr := h.securityView(r, s)
	if verr != nil {
		h.failed(w, r, verr)
		return
	}
	if launchpad.ErrorCode(err) == launchpad.ESTEPUP {
		d.StepUp.Required = true
		msg = "Confirm it is you first: this change needs a sign-in from the last " + d.StepUp.Window +
			". Send yourself a code below, enter it, then try again."
	}
	if adjust != nil {
		adjust(d)
	}
	v.Error = msg
	h.render(w, r, status, "security", v)
}

// StepUpPage answers a dashboard action refused with ESTEPUP (by Auth.RequireStepUp or an
// action that checks it): it sends the browser to the security page's "confirm it is you"
// card, from which the user comes back and tries again. Dashboard handlers of other
// security-sensitive actions (a tenant reset) call it:
//
//	if err := h.auth.RequireStepUp(s.sess); err != nil {
//		h.StepUpPage(w, r)
//		return
//	}
func (h *Handler) StepUpPage(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/security?done=step_up_required#step-up", http.StatusSeeOther)
}

func shortID(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

// signedInAt is when the session's user proved who they are: its AuthTime, or for sessions
// older than that field, when its current token was issued.
func signedInAt(ss *launchpad.Session) time.Time {
	if !ss.AuthTime.IsZero() {
		return ss.AuthTime
	}
	return ss.CreatedAt
}

// signInAuditScan is how many of the newest audit events the security page reads for the
// addresses of recent sign-ins.
const signInAuditScan = 200

// signInAddresses maps each device (the short id the audit log names) to the client address
// of its newest sign-in among the user's recent audit events. Sessions do not store an
// address; the sign-in's audit event does. A store error leaves the addresses out.
func (h *Handler) signInAddresses(ctx context.Context, userID string) map[string]string {
	out := map[string]string{}
	events, err := h.store.ListAudit(ctx, launchpad.AuditFilter{Stream: userID, Newest: true, Limit: signInAuditScan})
	if err != nil {
		h.log.Warn("sign-in addresses could not be read", "user_id", userID, "error", err.Error())
		return out
	}
	for _, e := range events {
		dev, ip := e.Details["device"], e.Details["ip"]
		if e.Action != launchpad.AuditSignIn || dev == "" || ip == "" {
			continue
		}
		if _, seen := out[dev]; !seen {
			out[dev] = ip
		}
	}
	return out
}
