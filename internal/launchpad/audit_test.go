package launchpad_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// auditChain builds n linked events of one stream, as a store would.
func auditChain(stream string, n int) []*launchpad.AuditEvent {
	start := time.Date(2026, 11, 1, 9, 30, 0, 123456000, time.UTC)
	var events []*launchpad.AuditEvent
	prev := ""
	for i := 1; i <= n; i++ {
		e := &launchpad.AuditEvent{
			ID:      launchpad.NewID(20),
			Stream:  stream,
			Seq:     int64(i),
			Time:    start.Add(time.Duration(i) * time.Minute),
			Actor:   "user:" + stream,
			Action:  launchpad.AuditKeyRotated,
			Target:  "lp-hermes-abc-s44we8",
			Details: map[string]string{"generation": string(rune('0' + i)), "plan": "pro"},
		}
		e.PrevHash = prev
		e.Hash = launchpad.AuditHash(e)
		prev = e.Hash
		events = append(events, e)
	}
	return events
}

// cloneEvents deep-copies a chain so a case can alter it freely.
func cloneEvents(events []*launchpad.AuditEvent) []*launchpad.AuditEvent {
	out := make([]*launchpad.AuditEvent, len(events))
	for i, e := range events {
		c := *e
		c.Details = map[string]string{}
		for k, v := range e.Details {
			c.Details[k] = v
		}
		out[i] = &c
	}
	return out
}

func TestVerifyChainAcceptsAnIntactChain(t *testing.T) {
	events := auditChain("u1", 6)
	if err := launchpad.VerifyChain(nil, events); err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	if err := launchpad.VerifyChain(nil, nil); err != nil {
		t.Fatalf("VerifyChain of nothing: %v", err)
	}
	if err := launchpad.VerifyChain(nil, events[:1]); err != nil {
		t.Fatalf("VerifyChain of the first event: %v", err)
	}
}

func TestVerifyChainMidChain(t *testing.T) {
	events := auditChain("u1", 6)
	for _, tc := range []struct {
		name    string
		prev    *launchpad.AuditEvent
		events  []*launchpad.AuditEvent
		wantErr bool
	}{
		{"page after the first event", events[0], events[1:], false},
		{"page in the middle", events[2], events[3:5], false},
		{"last event alone", events[4], events[5:], false},
		{"mid-chain without prev", nil, events[3:], true},
		{"wrong prev, one too early", events[1], events[3:], true},
		{"wrong prev, the page's own first event", events[3], events[3:], true},
		{"prev from another stream", auditChain("u2", 3)[2], events[3:], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := launchpad.VerifyChain(tc.prev, tc.events)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("VerifyChain: %v", err)
				}
				return
			}
			requireInvalid(t, err, tc.events[0].ID)
		})
	}
}

// An event of another stream that links to prev by seq and hash is not a continuation of
// prev's stream: the slice and prev must be one stream.
func TestVerifyChainRefusesAStreamSwitchAtPrev(t *testing.T) {
	prev := auditChain("u1", 3)[2]
	other := &launchpad.AuditEvent{
		ID: "evt-other-stream", Stream: "u2", Seq: prev.Seq + 1, Time: prev.Time.Add(time.Minute),
		Actor: "system", Action: launchpad.AuditKeyMinted, PrevHash: prev.Hash,
	}
	other.Hash = launchpad.AuditHash(other)
	requireInvalid(t, launchpad.VerifyChain(prev, []*launchpad.AuditEvent{other}), "evt-other-stream")
}

func TestVerifyChainDetectsEveryAlteredField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alter func(e *launchpad.AuditEvent)
	}{
		{"id", func(e *launchpad.AuditEvent) { e.ID += "x" }},
		{"stream", func(e *launchpad.AuditEvent) { e.Stream = "u2" }},
		{"seq", func(e *launchpad.AuditEvent) { e.Seq += 10 }},
		{"time by a microsecond", func(e *launchpad.AuditEvent) { e.Time = e.Time.Add(time.Microsecond) }},
		{"time by an hour", func(e *launchpad.AuditEvent) { e.Time = e.Time.Add(time.Hour) }},
		{"actor", func(e *launchpad.AuditEvent) { e.Actor = "operator:mallory" }},
		{"action", func(e *launchpad.AuditEvent) { e.Action = launchpad.AuditSignIn }},
		{"target", func(e *launchpad.AuditEvent) { e.Target = "lp-hermes-xyz-s44we8" }},
		{"detail value", func(e *launchpad.AuditEvent) { e.Details["plan"] = "enterprise" }},
		{"detail added", func(e *launchpad.AuditEvent) { e.Details["note"] = "" }},
		{"detail removed", func(e *launchpad.AuditEvent) { delete(e.Details, "plan") }},
		{"detail key renamed", func(e *launchpad.AuditEvent) { e.Details["Plan"] = e.Details["plan"]; delete(e.Details, "plan") }},
		{"prev hash", func(e *launchpad.AuditEvent) { e.PrevHash = strings.Repeat("0", 64) }},
		{"hash", func(e *launchpad.AuditEvent) { e.Hash = strings.Repeat("f", 64) }},
	} {
		for _, at := range []int{0, 2, 4} { // first, middle, last
			t.Run(fmt.Sprintf("%s of event %d", tc.name, at+1), func(t *testing.T) {
				events := cloneEvents(auditChain("u1", 5))
				tc.alter(events[at])
				requireInvalid(t, launchpad.VerifyChain(nil, events), events[at].ID)
			})
		}
	}
}

func TestVerifyChainDetectsRemovedReorderedAndInsertedEvents(t *testing.T) {
	base := auditChain("u1", 5)
	forged := &launchpad.AuditEvent{ID: "evt-forged", Stream: "u1", Seq: 3, Time: base[1].Time, Actor: "system", Action: launchpad.AuditKeyMinted, PrevHash: base[1].Hash}
	forged.Hash = launchpad.AuditHash(forged)
	for _, tc := range []struct {
		name   string
		events []*launchpad.AuditEvent
		badID  string // the first event that must fail
	}{
		{"first removed", base[1:], base[1].ID},
		{"middle removed", []*launchpad.AuditEvent{base[0], base[1], base[3], base[4]}, base[3].ID},
		{"two swapped", []*launchpad.AuditEvent{base[0], base[2], base[1], base[3], base[4]}, base[2].ID},
		{"reversed", []*launchpad.AuditEvent{base[4], base[3], base[2], base[1], base[0]}, base[4].ID},
		{"duplicated", []*launchpad.AuditEvent{base[0], base[1], base[1], base[2]}, base[1].ID},
		{"forged event inserted", []*launchpad.AuditEvent{base[0], base[1], forged, base[2], base[3]}, base[2].ID},
		{"event replaced by a forged one", []*launchpad.AuditEvent{base[0], base[1], forged, base[3], base[4]}, base[3].ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireInvalid(t, launchpad.VerifyChain(nil, tc.events), tc.badID)
		})
	}
}

func TestAuditHash(t *testing.T) {
	e := auditChain("u1", 1)[0]
	h := launchpad.AuditHash(e)
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("AuditHash = %q, want 64 lower-case hex characters", h)
	}

	same := *e
	same.Hash = "ignored: Hash is not hashed"
	same.Time = e.Time.In(time.FixedZone("UTC+9", 9*3600)).Add(999 * time.Nanosecond) // same instant, below µs
	same.Details = map[string]string{"plan": "pro", "generation": "1"}
	if got := launchpad.AuditHash(&same); got != h {
		t.Fatal("the hash changed with the time zone, sub-microsecond time, map order or the Hash field")
	}

	nilDetails, emptyDetails := *e, *e
	nilDetails.Details, emptyDetails.Details = nil, map[string]string{}
	if launchpad.AuditHash(&nilDetails) != launchpad.AuditHash(&emptyDetails) {
		t.Fatal("nil and empty Details hash differently")
	}

	// Field boundaries are unambiguous: moving characters between fields changes the hash.
	a, b := *e, *e
	a.Actor, a.Action = "user:ab", "c"
	b.Actor, b.Action = "user:a", "bc"
	c, d := *e, *e
	c.Details = map[string]string{"a": "b", "c": "d"}
	d.Details = map[string]string{"a": "b\",\"c\":\"d"}
	if launchpad.AuditHash(&a) == launchpad.AuditHash(&b) || launchpad.AuditHash(&c) == launchpad.AuditHash(&d) {
		t.Fatal("two different events share a hash: the encoding is ambiguous")
	}
}

func TestActorsRoundTrip(t *testing.T) {
	cases := []struct {
		actor string
		kind  launchpad.ActorKind
		name  string
	}{
		{launchpad.UserActor("u_1"), launchpad.ActorKindUser, "u_1"},
		{launchpad.OperatorActor("alice@example.com"), launchpad.ActorKindOperator, "alice@example.com"},
		{launchpad.ActorAdminToken, launchpad.ActorKindOperator, "admin-token"},
		{launchpad.ActorStripe, launchpad.ActorKindStripe, ""},
		{launchpad.ActorTerraform, launchpad.ActorKindTerraform, ""},
		{launchpad.ActorSystem, launchpad.ActorKindSystem, ""},
		{"", launchpad.ActorKindSystem, ""},
	}
	for _, c := range cases {
		if kind, name := launchpad.ParseActor(c.actor); kind != c.kind || name != c.name {
			t.Errorf("launchpad.ParseActor(%q) = %s, %q; want %s, %q", c.actor, kind, name, c.kind, c.name)
		}
	}
}

func TestValidateOperatorName(t *testing.T) {
	for _, ok := range []string{"alice", "alice@example.com", "ops.bot-1", "a"} {
		if err := launchpad.ValidateOperatorName(ok); err != nil {
			t.Errorf("launchpad.ValidateOperatorName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-alice", "alice bob", "user:x", "a\nb", strings.Repeat("a", 65)} {
		if launchpad.ErrorCode(launchpad.ValidateOperatorName(bad)) != launchpad.EINVALID {
			t.Errorf("launchpad.ValidateOperatorName(%q) accepted", bad)
		}
	}
}
