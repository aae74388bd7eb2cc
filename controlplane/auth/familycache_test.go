package auth

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestFamilyCacheExpiresAndForgets(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newFamilyCache(500 * time.Millisecond)
	c.wall = func() time.Time { return now }
	a := &launchpad.Session{UserID: "u1", FamilyID: "fa"}
	c.put("fa", a, now)
	c.put("fb", &launchpad.Session{UserID: "u1", FamilyID: "fb"}, now)
	c.put("fc", &launchpad.Session{UserID: "u2", FamilyID: "fc"}, now)
	c.put("unknown", nil, now)
	if got, ok := c.get("fa"); !ok || got != a {
		t.Fatal("a fresh entry is not returned")
	}
	if got, ok := c.get("unknown"); !ok || got != nil {
		t.Fatal("a family the store did not know is not remembered as such")
	}
	now = now.Add(499 * time.Millisecond)
	if _, ok := c.get("fa"); !ok {
		t.Fatal("an entry expired before its TTL")
	}
	now = now.Add(time.Millisecond)
	if _, ok := c.get("fa"); ok {
		t.Fatal("an entry outlived its TTL")
	}
	c.put("fa", a, now)
	c.put("fc", &launchpad.Session{UserID: "u2", FamilyID: "fc"}, now)
	c.forgetUser("u1")
	if _, ok := c.get("fa"); ok {
		t.Fatal("forgetUser kept an entry of the user")
	}
	if _, ok := c.get("fc"); !ok {
		t.Fatal("forgetUser dropped another user's entry")
	}
	c.forget("fc")
	if _, ok := c.get("fc"); ok {
		t.Fatal("forget kept the entry")
	}
}
