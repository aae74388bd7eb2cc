// Package auth is how people sign in to the control plane and stay signed in: emailed
// sign-in codes, the TOTP second factor and its recovery codes, sessions of rotating refresh
// tokens with short-lived access tokens, devices and their new-device alerts, and the audit
// events, mails, rate limits and metrics of all of these.
//
// Service holds all of it behind methods that take a context and plain inputs (the Client a
// request came from, an address, a code, a token) and return domain results and launchpad
// coded errors. It knows nothing of HTTP: the JSON API and the dashboard (package web) both
// call it, and each keeps only what is theirs — reading the request, the device cookie,
// writing the answer.
//
// # Sign-in codes
//
// A code is six digits from crypto/rand, valid 15 minutes, for one use; the store keeps only
// an HMAC of it under a key derived from PLATFORM_SECRET ("signin-code"), and a new code
// replaces the previous one. The store counts each guess before comparing it, in one
// transaction, so no more than five guesses per code are ever compared, across all replicas.
//
// SendCode treats every well-formed address the same way: no lookup of the address, a code
// stored and a mail queued whether or not an account exists (an unknown address becomes an
// account at its first successful VerifyCode). Mail goes out from a background queue, so
// neither the mail server's speed nor its errors show in the answer.
//
// Rate limits (per address and per client IP for codes, per IP for guesses, per user for
// second-factor guesses) are token buckets in each replica's memory (package ratelimit): N
// replicas allow up to N times as much. The five-guess cap is kept in the store and is global.
//
// # Tokens and sessions
//
// Access tokens are JWTs (HS256, github.com/golang-jwt/jwt/v5) under a key derived from
// PLATFORM_SECRET ("session-signing"), with kid, iss, aud, sub, iat, exp, jti, fam (the
// refresh-token family) and auth_time (the family's last sign-in or step-up); any other
// algorithm is refused. Refresh tokens are 32 random bytes, stored as SHA-256, rotated on
// every use; a spent token presented again revokes its whole family and is audited
// (auth.refresh_reuse). With PLATFORM_SECRET_PREVIOUS set, tokens and codes issued under the
// previous secret stay valid, so a rotation signs nobody out.
//
// Authenticate checks, for every request, that the token's family is still signed in: its
// current session (launchpad.Store.GetCurrentSession), cached per replica for
// FamilyCacheTTL. Logout, reuse, sign-out-everywhere, signing the other sessions out and
// turning TOTP on revoke families in the store and forget them in this replica's cache, so
// their access tokens are refused at once here and within FamilyCacheTTL everywhere else.
//
// The MFA token that VerifyCode returns when a second factor is needed is single-use: its jti
// is spent in the store (launchpad.Store.UseToken, atomic across replicas) by the one
// VerifySecondFactor that completes the sign-in.
//
// # Step-up
//
// Turning TOTP on or off, new recovery codes and signing other sessions out call
// RequireStepUp first: the caller's AuthTime (the session family's, launchpad.Session) must
// be within Config.StepUpWindow, else ESTEPUP. StartStepUp and VerifyStepUp renew it for the
// caller's family with the sign-in's proof: the emailed code, and the second factor when on.
// Turning TOTP on signs out every other session and mails the user.
//
// # Audit
//
// Sign-ins, step-ups, bursts of failed attempts (one event at the third), lock-outs, MFA
// changes, refresh-token reuse, a second use of an MFA token, logouts and new devices are
// appended to the user's hash-chained
// stream (failures against an address without an account go to the platform stream). An
// action whose audit event cannot be written fails.
package auth
