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
