// Package controlplane is Launchpad's control plane: the HTTP server (`serve`) and the audit
// CLI (`audit`). The background subpackages plug into it: billing (the Stripe webhook and the
// event processor), runner (tofu applies of this provider) and queue (the workers that run
// both).
//
// # Routes
//
//	GET  /healthz                       the process serves HTTP
//	GET  /readyz                        the store answers (503 otherwise)
//	GET  /metrics                       Prometheus: requests and latency by route pattern and
//	                                    status, sign-in outcomes, mail results
//	POST /api/auth/send-verification    {"email"} → 202 {"status":"sent"}
//	POST /api/auth/verify               {"email","code"} → tokens, or {"mfa_required":true,"mfa_token"}
//	POST /api/auth/mfa/verify           {"mfa_token","code"|"recovery_code"} → tokens; an
//	                                    mfa_token gives one session: a second use is 401
//	POST /api/auth/refresh              {"refresh_token"} → a new pair; the old token is spent
//	POST /api/auth/logout               {"refresh_token"} → its whole family is revoked, its
//	                                    access tokens refused within a second on every replica
//	POST /api/auth/step-up              (signed in) mails a confirmation code → 202
//	                                    {"status":"sent","second_factor":bool}
//	POST /api/auth/step-up/verify       (signed in) {"code"[,"totp_code"|"recovery_code"]} →
//	                                    {"access_token","expires_in","auth_time",
//	                                    "step_up_expires_at"}: this session counts as signed in
//	                                    just now (its refresh token stays; refreshes keep it)
//	GET  /api/auth/sessions             (signed in) the caller's signed-in sessions: id,
//	                                    user_agent, device, auth_time, last_refreshed_at,
//	                                    expires_at, ip, last_active_at, current
//	DELETE /api/auth/sessions/{id}      (signed in; step-up unless it is the caller's own)
//	                                    signs that session out
//	POST /api/auth/sessions/revoke-others
//	                                    (step-up) signs out every session but the caller's
//	POST /api/auth/mfa/totp             (step-up) enrol: secret, otpauth URL, 10 recovery codes
//	POST /api/auth/mfa/totp/confirm     (step-up) {"code"} turns the factor on, signs out every
//	                                    other session and mails the user
//	DELETE /api/auth/mfa/totp           (step-up) turns the factor off (or drops an enrolment)
//	                                    and mails the user
//	POST /api/auth/mfa/recovery-codes   (step-up) 10 new recovery codes; the old ones stop working
//	GET  /api/me                        (signed in) user, plan, subscription (past due since,
//	                                    suspended at), MFA, tenants, the newest apply's status,
//	                                    and usage: hours used against the cap, cycle, spend
//	                                    against the limit, whether it is exhausted
//	GET  /api/audit                     (signed in) the caller's own audit stream, newest first
//	POST /api/me/rotate-key             (signed in) a new sub-key for the caller's own tenant:
//	                                    202 with the apply (three, then one per ten minutes)
//	POST /api/me/reset                  (signed in, step-up) the caller's own tenant from a
//	                                    clean image with an empty /workspace (the old volume
//	                                    kept as a snapshot): 202 with the apply; rate-limited
//	                                    with rotate-key
//	POST /api/me/restart                (signed in) stops the caller's running machine and
//	                                    starts it again, audited first; 409 when it is not
//	                                    running; rate-limited with rotate-key
//	POST /api/me/rebuild                (signed in) the caller's own machine from a clean
//	                                    image on the same volume: 202 with the apply
//	PUT  /api/me/byok {key}             (signed in, step-up) stores the caller's own model
//	                                    key, sealed, never shown again: 202 with the apply
//	DELETE /api/me/byok                 (signed in, step-up) removes it: the sub-key is back
//	GET  /api/admin/audit               (admin token) any stream, or all streams
//	GET  /, /audit, /security, /billing  the customer dashboard (package web): server-rendered
//	     /signin…, /static/…            pages with their forms and the live audit feed, signed in
//	                                    with a session cookie; see that package for its routes
//	POST /api/stripe/webhook            Stripe events, signature checked on the raw body,
//	                                    recorded once by event id before the 200
//	POST /api/admin/tenants/{user_id}/apply
//	                                    (admin token) enqueue an apply of the user's desired
//	                                    state now: 202 with the job
//	POST /api/admin/tenants/{user_id}/exec
//	                                    (admin token) {"command":[…]} run a command in the
//	                                    tenant's machine through Fly's exec API; written to the
//	                                    user's audit stream (operator, command) before it runs,
//	                                    not run if that write fails (package operator); 503
//	                                    without FLY_API_TOKEN
//	POST /api/admin/tenants/{user_id}/rotate-key
//	                                    (admin token) a new sub-key: bumps the user's key
//	                                    rotation generation, audits key.rotated (requested) and
//	                                    enqueues the apply — the provider mints the new key under
//	                                    the same limit, delivers it to the app secret, restarts a
//	                                    running machine, then revokes the old key: 202
//	POST /api/admin/tenants/{user_id}/revoke-key
//	                                    (admin token) disables the sub-key at OpenRouter at once
//	                                    (it spends nothing from then on), audits key.revoked and
//	                                    enqueues an apply so a stored BYOK key takes over; without
//	                                    one the tenant stops spending until a rotate-key: 200;
//	                                    503 without OPENROUTER_MANAGEMENT_KEY
//	POST /api/admin/tenants/{user_id}/rebuild
//	                                    (admin token) a machine from a clean image on the same
//	                                    volume: bumps the rebuild generation, audits
//	                                    tenant.rebuild (requested), enqueues the apply: 202
//	POST /api/admin/tenants/{user_id}/reset
//	                                    (admin token) a machine from a clean image on a NEW
//	                                    EMPTY volume, the old one snapshotted for the tenant's
//	                                    workspace retention (7 days by default): bumps the reset
//	                                    generation, audits tenant.reset (requested; the apply's
//	                                    own tenant.reset names the snapshot), enqueues it: 202
//	GET  /api/admin/jobs                (admin token) jobs newest first: ?user_id= ?kind=
//	                                    ?status= ?limit=; status, attempts, timings, worker,
//	                                    error and the plan summary (add/change/destroy)
//	GET  /api/admin/jobs/{id}           (admin token) one job
//	GET  /api/admin/jobs/{id}/log       (admin token) the job's log as server-sent events
//	                                    (status, log, end) until the job is over, resumable
//	                                    with Last-Event-ID; ?follow=false: text/plain
//
// The admin tenant routes name the operator in the audit actor from the X-Launchpad-Operator
// header (as the exec CLI sends it), else "operator:admin-token".
//
// Every error is {"error":{"code","message"}}, its HTTP status from one table, with one
// Retry-After rule (package httpjson, which the Stripe webhook and the dashboard use too);
// rate_limited is 429 with Retry-After. JSON bodies are limited to Config.MaxBodyBytes,
// must be Content-Type application/json, may not carry unknown fields or anything after the
// object. Requiring application/json also keeps other sites' forms from posting to the API.
//
// # Sign-in and sessions
//
// The auth routes and the dashboard's sign-in pages are thin: both call one service, package
// auth, which holds the sign-in codes (six digits, HMAC-stored, 15 minutes, five guesses
// counted in the store across replicas), the TOTP second factor and recovery codes, the
// access and refresh tokens (a reused refresh token revokes its family), devices and
// new-device mail, the per-replica rate limits (Config.Limits) and every audit event, mail
// and metric of these. send-verification answers every well-formed address the same way,
// and mail goes out from the service's background queue; BenchmarkSendVerification
// measures both cases.
//
// Every request with an access token checks, besides the token's signature and claims, that
// its session family (the fam claim) is still signed in: the family's current session is
// read from the store at most once per auth.FamilyCacheTTL (500 ms) per replica, so logout,
// refresh-token reuse, sign-out-everywhere, signing other sessions out and turning TOTP on
// refuse that session's access tokens within a second on every replica (at once on the one
// that revoked them). BenchmarkMe measures the cost.
//
// # Step-up
//
// The routes marked (step-up) — and the dashboard's forms for the same actions — need a
// sign-in within LAUNCHPAD_STEP_UP_WINDOW (default 5m): the session's auth_time, set when a
// sign-in completes (the emailed code, and the second factor when on) and kept by every
// refresh. Otherwise they answer 403 {"error":{"code":"step_up_required"}}, whose message
// names the two step-up routes. The client then calls POST /api/auth/step-up (a code is
// mailed), POST /api/auth/step-up/verify with that code — and, when two-factor is on, the
// authenticator code or a recovery code — and retries with the access token it returned (the
// one it had works too within a second). The step-up refreshes the session it was made in,
// nothing else: no new refresh token, no other session. Handlers of other security-sensitive
// routes wrap them in Server.requireStepUp, or call auth.Service.RequireStepUp with
// callerFrom(ctx); dashboard handlers call web.Auth.RequireStepUp and web.Handler.StepUpPage.
//
// What stays here is what is HTTP's. The client IP is the TCP peer's address;
// X-Forwarded-For is read only when the peer is a trusted proxy (LAUNCHPAD_TRUSTED_PROXIES),
// from the right, skipping trusted proxies; otherwise it is ignored, since any client can
// write it. The device is a random id in an HttpOnly cookie (lp_device; __Host-lp_device over
// https), set by the first sign-in step that succeeds; the service stores only a hash of it
// with the user agent. Per-IP rate limits count an IPv6 client by its /64.
// Signed-in routes take the access token as Authorization: Bearer.
//
// # Account overview
//
// GET /api/me and the dashboard's overview render one read model (package account): the
// user, the subscription, the plan whose caps apply, the tenants, the cycle's hours and
// spend (the sub-key's live spend when OpenRouter answers in time, else the state of the
// last metering pass) and the newest apply.
//
// # Background work
//
// With Deps.Workers (what serve does), Open starts a pool of workers that claim jobs through
// the store under a lease with heartbeats: Stripe events, lapse timers and tofu applies. A
// replica that dies loses nothing: its job is reclaimed by another once the lease runs out.
// Close stops claiming, lets running applies go on for the queue's ShutdownGrace
// (LAUNCHPAD_JOB_SHUTDOWN_GRACE), then interrupts tofu (SIGINT, then a kill after
// LAUNCHPAD_APPLY_CANCEL_GRACE); the state is saved and the job goes back to the queue.
// /readyz does not depend on the workers: it says whether the store answers.
//
// # Metering and suspension
//
// With Deps.Runtime and Deps.Metering (serve: FLY_API_TOKEN set and LAUNCHPAD_METER_INTERVAL
// not off, default 1m), Open starts the metering loop (package metering) and Close stops it.
// Every replica may run it. A pass counts each tenant machine's hours from its Fly events,
// stops it at the plan's hour cap and starts it when a new cycle begins, watches the sub-key's
// spend cap, and reconciles the machine's run state with the subscription:
//
//   - past due within LAUNCHPAD_PAST_DUE_GRACE (default 72h): nothing changes;
//   - past due beyond it (billing.OverdueAt: the moment billing calls the subscription
//     lapsed): the machine is stopped, tenant.suspended audited and the user emailed, once;
//     it is kept stopped while unpaid (and a new cycle does not start it). Billing applies
//     nothing to a lapsed tenant — no apply, rotate-key or rebuild is accepted — and keeps
//     the tenant and its volume for LAUNCHPAD_VOLUME_RETENTION (default 7d) after the lapse;
//   - paid again (invoice.paid: active, PastDueSince cleared): the next pass starts the
//     machine and audits tenant.resumed — unless the hour cap holds it, in which case the next
//     cycle starts it; billing's lapse timer, run later, finds nothing to destroy;
//   - still unpaid at lapse + retention: billing's lapse timer enqueues the destroy.
//
// So the two never fight: billing decides what exists (and never applies to a lapsed tenant),
// the meter only starts and stops the machine that exists. Without FLY_API_TOKEN nothing is
// metered or suspended, and serve says so at start-up.
//
// serve refuses to start, naming every problem at once, when a setting of any part (the
// server, billing, the queue, the runner, the metering interval, the Fly and OpenRouter
// endpoints) is invalid or tofu cannot be found. Tests and other packages start the same
// control plane in-process with New and a Deps carrying Billing, Workers, Runtime, Keys and
// Metering; see Workers.
package controlplane
