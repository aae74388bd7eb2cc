package ratelimit_test

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/ratelimit"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestNetworkKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.2", "192.0.2.2"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"@", "@"},
	} {
		if got := ratelimit.NetworkKey(tc.in); got != tc.want {
			t.Errorf("NetworkKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Two addresses of one /64 share one budget; another /64 has its own; IPv4 addresses are
// limited one by one, and an IPv4-mapped address spends its IPv4 address's budget.
func TestNetworkKeySharesABudgetPerIPv6Network(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	take := func(l *ratelimit.Keyed, ip string) error { return l.Take(ratelimit.NetworkKey(ip), now) }

	l := ratelimit.New("attempts from this network", ratelimit.Limit{Every: time.Hour, Burst: 2})
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd"} {
		if err := take(l, ip); err != nil {
			t.Fatalf("%s: %v", ip, err)
		}
	}
	if err := take(l, "2001:db8:1:2::99"); launchpad.ErrorCode(err) != launchpad.ERATELIMITED {
		t.Fatalf("a third address of the same /64 got %v, want ERATELIMITED: the /64 shares one budget", err)
	}
	if err := take(l, "2001:db8:1:3::1"); err != nil {
		t.Fatalf("the next /64 was limited by its neighbour: %v", err)
	}

	v4 := ratelimit.New("attempts from this network", ratelimit.Limit{Every: time.Hour, Burst: 1})
	if err := take(v4, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := take(v4, "::ffff:192.0.2.1"); launchpad.ErrorCode(err) != launchpad.ERATELIMITED {
		t.Fatalf("the IPv4-mapped form of a spent IPv4 address got %v, want ERATELIMITED", err)
	}
	if err := take(v4, "192.0.2.2"); err != nil {
		t.Fatalf("the next IPv4 address was limited by its neighbour: %v", err)
	}
}
