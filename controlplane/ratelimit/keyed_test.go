package ratelimit

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// A request refused by one limit spends nothing from the others.
func TestTakeAllSpendsAllOrNothing(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	perIP := New("codes from this network address", Limit{Every: time.Minute, Burst: 2})
	perEmail := New("codes for this address", Limit{Every: time.Minute, Burst: 1})
	if err := TakeAll(now, Key{perIP, "ip"}, Key{perEmail, "a"}); err != nil {
		t.Fatal(err)
	}
	err := TakeAll(now, Key{perIP, "ip"}, Key{perEmail, "a"})
	if launchpad.ErrorCode(err) != launchpad.ERATELIMITED || launchpad.ErrorRetryAfter(err) != time.Minute {
		t.Fatalf("second code for the same address: %v", err)
	}
	if err := TakeAll(now, Key{perIP, "ip"}, Key{perEmail, "b"}); err != nil {
		t.Fatalf("the refused request spent the IP's token: %v", err)
	}
	if d := perIP.Wait("ip", now); d != time.Minute {
		t.Fatalf("Wait = %s, want a minute", d)
	}
	if err := perEmail.Take("a", now.Add(time.Minute)); err != nil {
		t.Fatalf("after a minute: %v", err)
	}
}
