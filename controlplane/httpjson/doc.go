// Package httpjson is how the control plane answers in JSON: the API's handlers, the Stripe
// webhook (package billing) and the operator exec route all write through it, and the
// dashboard (package web) takes its statuses and Retry-After from it too.
//
// It holds the three rules every answer follows:
//
//   - one table from error codes (launchpad's, plus the HTTP layer's own TooLarge,
//     UnsupportedMediaType and MethodNotAllowed) to HTTP statuses (Status);
//   - one envelope for errors, {"error":{"code","message"}} (ErrorBody); an uncoded error is
//     answered as "internal" with the request id to quote, never with its details;
//   - one Retry-After rule: an error's RetryAfter rounded up to whole seconds, at least 1, and
//     always on rate_limited (SetRetryAfter).
package httpjson
