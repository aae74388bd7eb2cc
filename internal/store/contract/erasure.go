package contract

import (
	"maps"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Pseudonymised returns the copy of e that fn makes for Store.PseudonymiseAudit, marked
// Pseudonymised; EINVALID when fn changed what it may not (anything but Stream, Actor, Target
// and Details) or named a stream outside launchpad.ErasedStreamPrefix. Every store calls it,
// so they all refuse the same rewrites.
func Pseudonymised(e *launchpad.AuditEvent, fn func(*launchpad.AuditEvent)) (*launchpad.AuditEvent, error) {
	c := *e
	c.Details = maps.Clone(e.Details)
	if c.Details == nil {
		c.Details = map[string]string{}
	}
	fn(&c)
	c.Pseudonymised = true
	switch {
	case !strings.HasPrefix(c.Stream, launchpad.ErasedStreamPrefix):
		return nil, launchpad.Errorf(launchpad.EINVALID, "a pseudonymised audit stream must start with %q, not %q", launchpad.ErasedStreamPrefix, launchpad.Clip(c.Stream, 60))
	case c.ID != e.ID || c.Seq != e.Seq || !c.Time.Equal(e.Time) || c.Action != e.Action ||
		c.PrevHash != e.PrevHash || c.Hash != e.Hash || c.Index != e.Index:
		return nil, launchpad.Errorf(launchpad.EINVALID, "pseudonymising audit event %s may change only its stream, actor, target and details", e.ID)
	}
	return &c, nil
}

// ErasedRows is one set of rows an erasure deletes from a SQL store: those whose Column equals
// Value in Table.
type ErasedRows struct {
	Table, Column, Value string
}

// UserRows lists the rows that name e's user in the SQL stores' tables (internal/sqlite and
// internal/postgres share the names), the user's own row last. Jobs and Stripe payloads,
// matched by content, are each store's own.
func UserRows(e launchpad.UserErasure) []ErasedRows {
	rows := []ErasedRows{
		{"sessions", "user_id", e.UserID},
		{"devices", "user_id", e.UserID},
		{"tenants", "user_id", e.UserID},
		{"sub_keys", "user_id", e.UserID},
		{"states", "workspace", e.UserID},
		{"user_keys", "user_id", e.UserID},
	}
	if e.Email != "" {
		rows = append(rows, ErasedRows{"sign_in_codes", "email", e.Email})
	}
	if e.StripeCustomerID != "" {
		// The jobs of the customer's Stripe events are keyed by the customer.
		rows = append(rows, ErasedRows{"jobs", "job_key", launchpad.StripeCustomerJobKey(e.StripeCustomerID)})
	}
	return append(rows, ErasedRows{"users", "id", e.UserID})
}

// PseudonymiseEach rewrites events with fn (Pseudonymised) and hands each result to store,
// which writes it; it returns how many were written, stopping at the first error.
func PseudonymiseEach(events []*launchpad.AuditEvent, fn func(*launchpad.AuditEvent), store func(*launchpad.AuditEvent) error) (int, error) {
	for i, e := range events {
		c, err := Pseudonymised(e, fn)
		if err != nil {
			return i, err
		}
		if err := store(c); err != nil {
			return i, err
		}
	}
	return len(events), nil
}
