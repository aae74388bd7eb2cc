// Package sim holds API-faithful simulators of the two clouds Launchpad drives: the Fly
// Machines API (as fly-go v0.3.1's flaps client speaks it) and OpenRouter's key-management
// API (with a minimal metering gateway). They are stateful and in memory, optionally
// persisted to a JSON file, and they inject faults on demand, so the real clients run
// against them unchanged in tests, the demo and the benchmarks.
//
// The package is written from the published specs and the client library's real requests,
// and shares no code with internal/fly or internal/openrouter: those clients are tested
// against an independent reading of each API. README.md in this directory says plainly
// what is modelled and what is not; keep it in step with the code.
//
// # Using it
//
// A *Fly and an *OpenRouter are http.Handlers. Package simtest starts either on a loopback
// port for one test; RunSandbox (`terraform-provider-launchpad sandbox`) starts both for a
// shell, the demo or another process, and prints their URLs and credentials:
//
//	FLY_FLAPS_BASE_URL=http://127.0.0.1:PORT          (flaps appends /v1)
//	OPENROUTER_API_URL=http://127.0.0.1:PORT/api/v1   (a client's base URL)
//	FLY_API_TOKEN=…
//	OPENROUTER_MANAGEMENT_KEY=…
//
// # Time
//
// Every timestamp (machine events in Unix milliseconds, lease expiry, key usage windows,
// rate-limit refills, the tombstone of a destroyed machine, the pending_destroy listing of a
// deleted volume) comes from the Clock option; a *ManualClock makes metering and period-reset
// tests exact. Machine state changes are asynchronous, as on Fly: a create, start, stop,
// update or destroy is answered at once and completed in steps due on the Clock a short
// while later (FlyOptions.Transitions), and a new app secrets version propagates the same
// way; /wait wakes when a step falls due (on a ManualClock, when the clock moves).
// FlyOptions.ImmediateTransitions completes every change within its request, a leniency a
// test asks for explicitly. Only /wait's timeout is wall-clock time, because a client really
// blocks on it.
//
// # Faults
//
// Faults (5xx before anything is done, 429 with Retry-After, added latency, and a dropped
// response after the change was applied) are drawn from a seeded generator, one draw per
// API request, and can be switched at run time with SetFaults or over HTTP. Fly's
// per-machine rate limits are a separate option (FlyOptions.RateLimits).
//
// A test that needs one particular failure at one particular request scripts it instead:
// ScriptFaults queues, per route ("POST /v1/apps/{app}/machines"), faults that the next
// matching requests take in order — answer a status without applying, apply then drop the
// connection, apply then answer a status, apply then hang, or wait before answering. With
// RecordRequests the simulator also keeps what clients sent (Requests, WaitRequests),
// never a credential or a secret value.
//
// # The /_sim/ test API
//
// Each server also answers a small test API under /_sim/, apart from the simulated API
// (never faulted or rate-limited). health and info are open; the rest needs the
// simulator's credential as a Bearer token — the Fly token on the Fly server, the
// management key on the OpenRouter server.
//
//	GET  /_sim/health    {"ok": true, "simulator": …}
//	GET  /_sim/info      implemented and not-implemented endpoints, clock, faults
//	GET  /_sim/snapshot  FlySnapshot or OpenRouterSnapshot as JSON (no secret, key or nonce)
//	GET  /_sim/faults    the current faults and what they have done
//	PUT  /_sim/faults    {"error_rate":0.2,"rate_limit_rate":0,"retry_after":"1s",
//	                      "latency":"50ms","drop_rate":0,"seed":1,"error_status":500}
//	GET  /_sim/faults/script     the scripted faults not yet taken, by route
//	POST /_sim/faults/script     {"route":"POST /v1/apps","faults":[{"kind":"respond",
//	                              "status":503,"retry_after":"2","body":"…"},{"kind":"drop_after"},
//	                              {"kind":"fail_after","status":500},{"kind":"hang_after"},
//	                              {"kind":"delay","delay":"1s"}]}
//	DELETE /_sim/faults/script   drop them all
//	GET  /_sim/clock     {"now": …, "manual": bool}
//	POST /_sim/clock     {"advance":"36h"} or {"set":"2026-02-01T00:00:00Z"} (manual clock only)
//	POST /_sim/save      write the state file now
//	POST /_sim/apps      Fly only: {"name": …, "org": …} makes an app of an organization the
//	                     token is not a member of (its name is then taken; reading it is 403)
//	POST /_sim/spend     OpenRouter only: {"key": plaintext | "hash": …, "usd": 1.5,
//	                      "byok": false} → {"data": key} or the gateway's 401 or 402 (403 if so configured)
//
// For example, from a shell after eval'ing the sandbox's output:
//
//	curl -s -H "Authorization: Bearer $FLY_API_TOKEN" $FLY_FLAPS_BASE_URL/_sim/snapshot
//	curl -s -X PUT -H "Authorization: Bearer $FLY_API_TOKEN" \
//	     -d '{"error_rate":0.2,"seed":7}' $FLY_FLAPS_BASE_URL/_sim/faults
//
// The gateway's completion route, POST /api/v1/chat/completions with "Authorization:
// Bearer <key>", charges X-Sim-Cost-USD (default $0.001) to the key, or its BYOK usage with
// "X-Sim-BYOK: true", and answers as the gateway does once the key is spent.
package sim
