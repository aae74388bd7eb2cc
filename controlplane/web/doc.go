// Package web is the customer dashboard of the control plane: server-rendered pages
// (html/template, with the templates, one stylesheet and one small script embedded), served
// by the same process as the API and mounted next to it (Handler.Mount).
//
// # Pages
//
//	GET  /signin                       email address → a six-digit code is mailed
//	GET  /signin/code                  the code → signed in, or on to the second factor
//	GET  /signin/second-factor         authenticator code or recovery code → signed in
//	GET  /                             overview: the tenant (machine state, plan, region, IPs),
//	                                   hours used against the cap and spend against the limit
//	                                   as <meter> bars with the figures, the cycle end, and a
//	                                   notice with what to do when a cap is hit
//	GET  /audit                        the user's own audit events, newest first; followed live
//	GET  /audit/events                 the live feed: text/event-stream of new rows
//	GET  /security                     second factor, sessions, devices; sign out everywhere
//	POST /security/totp                enrol TOTP: QR code, otpauth link and recovery codes, once
//	GET  /billing                      the plan and subscription; Stripe's portal and checkout
//	GET  /static/…                     the embedded stylesheet, script and icon
//
// Every POST form has its handler next to its page. Pages work without JavaScript; the only
// script follows the audit feed.
//
// # What the dashboard does not do itself
//
// Codes, guess caps, rate limits, devices and new-device mail, TOTP, sessions and the audit
// events of all of these are the auth service's (package auth), reached through the Auth
// interface, which package controlplane implements over the same service its JSON API calls;
// the security page lists sessions and devices through it too. The dashboard reads the store
// for what else it shows and never writes to it.
//
// # Sessions and cookies
//
// The session cookie holds the refresh token of a session Auth opened; the store keeps only
// its hash. Each request looks the session up, so a sign-out — this one, through the API, or
// everywhere — takes effect at once (an access token would stay valid until it expired). The
// cookie is HttpOnly, SameSite=Lax, Path=/, lives as long as the session, and over https is
// Secure and named __Host-…. Between the sign-in steps the address and the MFA token travel in
// short-lived cookies of the same kind, never in a page or a URL.
//
// # Forgery, framing and injection
//
// Every POST passes http.CrossOriginProtection (Sec-Fetch-Site, else Origin against Host) and
// must carry a form token: HMAC-SHA256 under a key derived from PLATFORM_SECRET over the
// session's family id (or, before sign-in, a random pre-session cookie), compared in
// constant time. Every response carries a Content-Security-Policy that allows only this
// origin's own files — no inline script or style, images also from data: (the QR code),
// form-action 'self', frame-ancestors 'none' — with X-Content-Type-Options: nosniff,
// Referrer-Policy: no-referrer and, over https, HSTS. Pages are not cached (Cache-Control:
// no-store).
//
// # Secrets on pages
//
// No page shows a secret, with one exception that is the point of it: the TOTP enrolment
// page shows the recovery codes, and the QR code and otpauth:// link that carry the TOTP
// secret to the authenticator app. That page is rendered once, in answer to the POST that
// creates them; the store keeps the secret sealed and the codes hashed, and nothing can show
// them again. Refresh tokens, MFA tokens, sign-in codes and model keys never reach a page.
package web
