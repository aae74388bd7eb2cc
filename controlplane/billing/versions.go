package billing

import (
	"strings"

	"github.com/stripe/stripe-go/v76"
)

// The Stripe API versions whose events the processor reads. A webhook endpoint sends events
// in the API version it is pinned to (the account's default when it was created), whatever
// stripe-go pins, so every version a user's endpoint may still be on must be read:
//
//   - from OldestAPIVersion (the one stripe-go v76 pins, stripe.APIVersion) up to, not
//     including, BasilAPIVersion, an invoice names its subscription in `subscription`, its
//     lines say `type` and `proration`, and a subscription has `current_period_start/end`;
//   - from BasilAPIVersion on (2025-03-31.basil, 2025-09-30.clover and later), the invoice's
//     subscription is `parent.subscription_details.subscription`, a line's proration is
//     `parent.subscription_item_details.proration`, and the billing period is on each
//     subscription item (`items.data[].current_period_start/end`).
//
// Each object is read from whichever shape it has (readInvoice, readSubscription), not from
// its version string, so a later version that keeps the basil shape is read as well, and one
// that moves these fields again is refused (an unreadable event) rather than misread.
const (
	OldestAPIVersion = stripe.APIVersion
	BasilAPIVersion  = "2025-03-31.basil"
)

// apiVersionDate is the date part of an API version ("2025-03-31" of "2025-03-31.basil"),
// which orders versions.
func apiVersionDate(v string) string {
	date, _, _ := strings.Cut(v, ".")
	return date
}

// olderThanSupported reports whether events of API version v predate OldestAPIVersion: they
// are read in the older shape, which those versions share for what the processor reads, but
// no test covers them.
func olderThanSupported(v string) bool {
	return apiVersionDate(v) < apiVersionDate(OldestAPIVersion)
}

// versionLabel bounds an API version for a metric label and a log line. Only events with a
// valid signature get here, so the version is Stripe's; the bound is against a malformed one.
func versionLabel(v string) string {
	if v == "" {
		return "unknown"
	}
	if len(v) > 40 || !printable(v) {
		return "malformed"
	}
	return v
}
