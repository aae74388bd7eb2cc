// Package contract holds the parts of launchpad.Store's contract that every store applies the
// same way, whatever it keeps its records in: what a write refuses, the defaults it fills in,
// and what presenting a refresh token does. The stores differ in how they read and write
// atomically; written once here, these rules cannot drift between them.
package contract
