package launchpad

import (
	"context"
	"time"
)

// LogLine is one line a tenant's machine printed, as Fly's log API keeps it.
type LogLine struct {
	Time     time.Time
	Level    string // info, warn, error… as Fly reports it
	Message  string
	Instance string // the machine (or its instance) that printed it
	Region   string
}

// LogReader reads a tenant app's recent output (internal/fly on Fly's log API), for the
// customer's dashboard. Lines are the app's own output: they may hold anything the agent
// printed, so they are shown only to the tenant's owner.
//
// Errors: ENOTFOUND for a missing app; EUNAUTHORIZED for a bad token; EUNAVAILABLE when the
// log API could not be reached.
type LogReader interface {
	// RecentLogs returns up to max of the app's newest lines, oldest first.
	RecentLogs(ctx context.Context, app string, max int) ([]*LogLine, error)
}
